/**
 * The local API gateway on api.port: serves every function declared in
 * supabase/config.toml at /functions/v1/<name> (Supabase's local URL shape) and mounts the
 * Storage fake at /storage/v1. Each function's own `Deno.serve` handler is mounted
 * unchanged: we capture it while importing the function's entrypoint.
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

export interface GatewayOptions {
  hostname: string;
  port: number;
  /** Keys the gateway accepts as a JWT for functions with verify_jwt = true. */
  apiKeys: string[];
  storageHandler?: (req: Request) => Promise<Response>;
  /** Extra control routes under /__stack/ (the stack's fault switches). */
  control?: (req: Request, path: string) => Promise<Response | null>;
  log: (line: string) => void;
}

export interface Gateway {
  url: string;
  functions: FunctionSpec[];
  /** While down, a function answers 503 as a function that fails to boot does. */
  setDown(name: string, down: boolean): void;
  /**
   * Sets (string) or unsets (null) environment variables and starts a new instance of the
   * function with them, as `supabase secrets set` does on a hosted project.
   */
  setEnv(name: string, env: Record<string, string | null>): Promise<void>;
  shutdown(): Promise<void>;
}

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

function json(status: number, body: unknown) {
  return Response.json(body, { status });
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  installEdgeRuntime();
  const functions = await readFunctionSpecs();
  const handlers = new Map<string, Handler>();
  for (const spec of functions) handlers.set(spec.name, await mountFunction(spec));
  const down = new Set<string>();

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/__stack/") && opts.control) {
      const res = await opts.control(req, url.pathname.slice("/__stack/".length));
      if (res) return res;
    }
    if (url.pathname.startsWith("/storage/v1") && opts.storageHandler) {
      return opts.storageHandler(req);
    }
    const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (!match) return json(404, { message: "no route matched", path: url.pathname });
    const [, name, rest = ""] = match;
    const spec = functions.find((f) => f.name === name);
    const handler = handlers.get(name);
    if (!spec || !handler) {
      return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
    }
    if (down.has(name)) {
      return json(503, {
        code: "BOOT_ERROR",
        message: "Function failed to start (please check logs)",
      });
    }
    if (spec.verifyJwt) {
      const token = req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
      if (!token || !opts.apiKeys.includes(token)) {
        return json(401, { code: 401, message: "Missing authorization header or invalid JWT" });
      }
    }
    // Functions see their own path, without the /functions/v1 prefix.
    const inner = new URL(`/${name}${rest}${url.search}`, url);
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
    { hostname: opts.hostname, port: opts.port, onListen() {} },
    async (req) => {
      const started = performance.now();
      let res: Response;
      try {
        res = await route(req);
      } catch (err) {
        opts.log(`gateway error: ${(err as Error).stack ?? err}`);
        res = json(500, {
          code: "INTERNAL_ERROR",
          message: "The function crashed; see the stack log",
        });
      }
      const path = new URL(req.url).pathname;
      if (!path.startsWith("/__stack/")) {
        opts.log(
          `${req.method} ${path} → ${res.status} (${Math.round(performance.now() - started)} ms)`,
        );
      }
      return res;
    },
  );

  return {
    url: `http://${opts.hostname}:${server.addr.port}`,
    functions,
    setDown(name, isDown) {
      if (isDown) down.add(name);
      else down.delete(name);
    },
    async setEnv(name, env) {
      const spec = functions.find((f) => f.name === name);
      if (!spec) throw new Error(`No function ${name}`);
      for (const [key, value] of Object.entries(env)) {
        if (value === null) Deno.env.delete(key);
        else Deno.env.set(key, value);
      }
      handlers.set(name, await mountFunction(spec));
    },
    async shutdown() {
      await server.shutdown();
      await Promise.all([...pending]);
    },
  };
}
