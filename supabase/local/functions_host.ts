/**
 * The functions process of the local stack: serves every function declared in
 * supabase/config.toml at /functions/v1/<name> on an internal port. The gateway (gateway.ts)
 * starts it as a child and proxies to it, so that a crash test can SIGKILL the functions while
 * the fakes, in the stack's process, go on recording what they accepted. Each function's own
 * `Deno.serve` handler is mounted unchanged: we capture it while importing its entrypoint.
 *
 *   deno run -A --config deno.json supabase/local/functions_host.ts '<HostOptions as JSON>'
 *
 * It prints HOST_READY once it listens, and takes the gateway's switches on internal routes:
 *   POST /__host/env/<name>   {"env": {...}}  sets (string) or unsets (null) variables and
 *                                             mounts the function anew with them
 *   POST /__host/down/<name>  {"down": bool}  the function answers 503 BOOT_ERROR while down
 */
import { parse as parseToml } from "smol-toml";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { projectRoot } from "./cluster.ts";

type Handler = (req: Request, info?: unknown) => Response | Promise<Response>;

export interface FunctionSpec {
  name: string;
  entrypoint: string;
  verifyJwt: boolean;
}

export interface HostOptions {
  port: number;
  /** The gateway's origin: functions see their own URL on it, not on the internal port. */
  publicUrl: string;
  /** Keys accepted as a JWT for functions with verify_jwt = true. */
  apiKeys: string[];
  /** Functions that start down. */
  down: string[];
}

/** The line the process prints on stdout once it answers requests. */
export const HOST_READY = "functions host ready";

/** Reads the [functions.NAME] tables of supabase/config.toml. */
export async function readFunctionSpecs(): Promise<FunctionSpec[]> {
  const configPath = join(projectRoot, "supabase", "config.toml");
  const config = parseToml(await Deno.readTextFile(configPath)) as {
    functions?: Record<string, { entrypoint?: string; verify_jwt?: boolean; enabled?: boolean }>;
  };
  return Object.entries(config.functions ?? {})
    .filter(([, f]) => f.enabled !== false)
    .map(([name, f]) => ({
      name,
      entrypoint: resolve(dirname(configPath), f.entrypoint ?? `./functions/${name}/index.ts`),
      verifyJwt: f.verify_jwt ?? true,
    }));
}

function json(status: number, body: unknown) {
  return Response.json(body, { status });
}

/** What hosted Supabase answers when a function's worker cannot boot. */
export function bootError() {
  return json(503, { code: "BOOT_ERROR", message: "Function failed to start (please check logs)" });
}

const pending = new Set<Promise<unknown>>();

/** Supabase's EdgeRuntime.waitUntil: work that goes on after the response. */
function installEdgeRuntime() {
  (globalThis as Record<string, unknown>).EdgeRuntime = {
    waitUntil(promise: Promise<unknown>) {
      const tracked = Promise.resolve(promise).catch(() => {}).finally(() =>
        pending.delete(tracked)
      );
      pending.add(tracked);
    },
  };
}

let mounts = 0;

/**
 * Imports a function's entrypoint and returns the handler it passed to Deno.serve. Each mount
 * evaluates the entrypoint afresh (a new module URL), as a new function instance would.
 */
async function mountFunction(spec: FunctionSpec): Promise<Handler> {
  const realServe = Deno.serve;
  let captured: Handler | undefined;
  // deno-lint-ignore no-explicit-any
  (Deno as any).serve = (...args: any[]) => {
    const last = args[args.length - 1];
    captured = typeof last === "function" ? last : last?.handler;
    return {
      finished: new Promise(() => {}),
      shutdown: async () => {},
      ref() {},
      unref() {},
      addr: {},
    };
  };
  try {
    await import(`${pathToFileURL(spec.entrypoint).href}?instance=${mounts++}`);
  } finally {
    // deno-lint-ignore no-explicit-any
    (Deno as any).serve = realServe;
  }
  if (!captured) {
    throw new Error(`Function ${spec.name} (${spec.entrypoint}) never called Deno.serve`);
  }
  return captured;
}

async function serveFunctions(opts: HostOptions) {
  installEdgeRuntime();
  const functions = await readFunctionSpecs();
  const handlers = new Map<string, Handler>();
  for (const spec of functions) handlers.set(spec.name, await mountFunction(spec));
  const down = new Set(opts.down);

  async function setEnv(name: string, env: Record<string, string | null>) {
    const spec = functions.find((f) => f.name === name);
    if (!spec) return json(404, { message: `No function ${name}` });
    for (const [key, value] of Object.entries(env)) {
      if (value === null) Deno.env.delete(key);
      else Deno.env.set(key, value);
    }
    handlers.set(name, await mountFunction(spec));
    return json(200, { function: name });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const control = url.pathname.match(/^\/__host\/(env|down)\/([^/]+)$/);
    if (control && req.method === "POST") {
      const [, kind, name] = control;
      const body = await req.json();
      if (kind === "env") return await setEnv(name, body.env);
      if (body.down) down.add(name);
      else down.delete(name);
      return json(200, { function: name, down: down.has(name) });
    }
    const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (!match) return json(404, { message: "no route matched", path: url.pathname });
    const [, name, rest = ""] = match;
    const spec = functions.find((f) => f.name === name);
    const handler = handlers.get(name);
    if (!spec || !handler) {
      return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    if (down.has(name)) return bootError();
    if (spec.verifyJwt) {
      const token = req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
      if (!token || !opts.apiKeys.includes(token)) {
        return json(401, { code: 401, message: "Missing authorization header or invalid JWT" });
      }
    }
    // Functions see their own path, without the /functions/v1 prefix.
    const inner = new URL(`/${name}${rest}${url.search}`, opts.publicUrl);
    // A fresh Request, not new Request(inner, req): copying req's signal trips Deno's
    // legacy-abort warning, and a function must not see the gateway's connection anyway.
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    return await handler(
      new Request(inner, {
        method: req.method,
        headers: req.headers,
        body: hasBody ? req.body : null,
      }),
    );
  }

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port, onListen: () => console.log(HOST_READY) },
    async (req) => {
      try {
        return await route(req);
      } catch (err) {
        console.error(`functions host error: ${(err as Error).stack ?? err}`);
        return json(500, {
          code: "INTERNAL_ERROR",
          message: "The function crashed; see the stack log",
        });
      }
    },
  );

  // The stack stops us with SIGTERM: finish what was accepted, waitUntil work included.
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    await Promise.all([...pending]);
    Deno.exit(0);
  });
}

if (import.meta.main) {
  // Ctrl-C reaches the whole process group; the stack stops us itself, after its gateway.
  Deno.addSignalListener("SIGINT", () => {});
  // The stack holds our stdin open and never writes: its end means the stack died (even by
  // SIGKILL), and nobody else would stop us.
  (async () => {
    for await (const _ of Deno.stdin.readable);
    Deno.exit(1);
  })();
  await serveFunctions(JSON.parse(Deno.args[0]) as HostOptions);
}
