/**
 * The functions process of the local stack: the emulated edge runtime's main worker. It serves
 * every function declared in supabase/config.toml at /functions/v1/<name> on an internal port,
 * each in user workers of its own under the runtime's Deno with the runtime's limits
 * (edge_runtime/supervisor.ts). The gateway (gateway.ts) starts it as a child and proxies to it,
 * so that a crash test can SIGKILL the functions while the fakes, in the stack's process, go on
 * recording what they accepted.
 *
 *   deno run -A supabase/local/functions_host.ts   (reads its HostOptions as one JSON line on stdin)
 *
 * It prints HOST_READY once it listens, and takes the gateway's switches on internal routes:
 *   POST /__host/env/<name>   {"env": {...}}  sets (string) or unsets (null) variables for new
 *                                             workers and replaces every function's current
 *                                             ones (answers once they are gone)
 *   POST /__host/down/<name>  {"down": bool}  the function answers 503 BOOT_ERROR while down
 *   POST /__host/limits       {...WorkerLimits} limits for workers started from now on
 *   GET  /__host/stats        workers started, retired, killed, peak memory per function
 *   POST /__host/exhaust/<name>  its live workers reach the hard CPU limit now (and are killed)
 */
import { parse as parseToml } from "smol-toml";
import { dirname, join, resolve } from "node:path";
import { projectRoot } from "./cluster.ts";
import { bootError, createSupervisor, type FunctionSpec } from "./edge_runtime/supervisor.ts";
import type { WorkerLimits } from "./edge_runtime/runtime.ts";

export { bootError, type FunctionSpec };

export interface HostOptions {
  port: number;
  /** The gateway's origin: functions see their own URL on it, not on the internal port. */
  publicUrl: string;
  /** Keys accepted as a JWT for functions with verify_jwt = true. */
  apiKeys: string[];
  /** Functions that start down. */
  down: string[];
  /** Every function's environment. */
  env: Record<string, string>;
  limits: WorkerLimits;
  /** The config.toml to serve (default: the project's). */
  configPath?: string;
}

/** The line the process prints on stdout once it answers requests. */
export const HOST_READY = "functions host ready";

/** How long a secrets switch waits for the old workers to end (a provider call may be on the wire). */
const ENV_SWITCH_WAIT_MS = 15_000;

export const PROJECT_CONFIG = join(projectRoot, "supabase", "config.toml");

/** Reads the [functions.NAME] tables of a config.toml, as `supabase functions serve` does. */
export async function readFunctionSpecs(configPath = PROJECT_CONFIG): Promise<FunctionSpec[]> {
  const config = parseToml(await Deno.readTextFile(configPath)) as {
    functions?: Record<
      string,
      { entrypoint?: string; verify_jwt?: boolean; enabled?: boolean; import_map?: string }
    >;
  };
  const base = dirname(configPath);
  return Object.entries(config.functions ?? {})
    .filter(([, f]) => f.enabled !== false)
    .map(([name, f]) => {
      const folder = resolve(base, "functions", name);
      return {
        name,
        entrypoint: f.entrypoint ? resolve(base, f.entrypoint) : join(folder, "index.ts"),
        // Without import_map, the CLI uses the function folder's deno.json.
        config: f.import_map ? resolve(base, f.import_map) : join(folder, "deno.json"),
        verifyJwt: f.verify_jwt ?? true,
      };
    });
}

function json(status: number, body: unknown) {
  return Response.json(body, { status });
}

async function serveFunctions(opts: HostOptions) {
  const functions = await readFunctionSpecs(opts.configPath);
  const supervisor = createSupervisor({
    publicUrl: opts.publicUrl,
    env: opts.env,
    limits: opts.limits,
    log: (line) => console.log(line),
  });
  const down = new Set(opts.down);

  async function control(kind: string, name: string, req: Request): Promise<Response> {
    if (kind === "stats") return json(200, supervisor.stats());
    const body = await req.json().catch(() => ({}));
    if (kind === "limits") return json(200, supervisor.setLimits(body));
    if (!functions.some((f) => f.name === name)) {
      return json(404, { message: `No function ${name}` });
    }
    if (kind === "exhaust") return json(200, { function: name, workers: supervisor.exhaust(name) });
    if (kind === "env") {
      // Secrets are the project's, not one function's (`supabase secrets set`): every function
      // starts new workers with them. One left on the old ones would send with another setup
      // (a drain of twilio-inbound's with no CRM webhook configured, say).
      supervisor.setEnv(body.env);
      await Promise.all(functions.map((f) => supervisor.replace(f.name, ENV_SWITCH_WAIT_MS)));
      return json(200, { function: name });
    }
    if (body.down) down.add(name);
    else down.delete(name);
    return json(200, { function: name, down: down.has(name) });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const switched = url.pathname.match(
      /^\/__host\/(env|down|limits|stats|exhaust)(?:\/([^/]+))?$/,
    );
    if (switched) return await control(switched[1], switched[2] ?? "", req);
    const match = url.pathname.match(/^\/functions\/v1\/([^/]+)(\/.*)?$/);
    if (!match) return json(404, { message: "no route matched", path: url.pathname });
    const [, name, rest = ""] = match;
    const spec = functions.find((f) => f.name === name);
    if (!spec) return new Response("Function not found", { status: 404 });
    if (down.has(name)) return bootError();
    if (spec.verifyJwt) {
      const token = req.headers.get("authorization")?.replace(/^Bearer\s+/i, "");
      if (!token || !opts.apiKeys.includes(token)) {
        return json(401, { code: 401, message: "Missing authorization header or invalid JWT" });
      }
    }
    // Functions see their own path, without the /functions/v1 prefix.
    return await supervisor.serve(spec, req, `/${name}${rest}${url.search}`);
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

  // The stack stops us with SIGTERM: workers finish what they accepted, waitUntil included.
  Deno.addSignalListener("SIGTERM", async () => {
    await server.shutdown();
    await supervisor.shutdown();
    Deno.exit(0);
  });
}

/** The first line on stdin: the options. Its end afterwards means the stack died. */
async function readOptionsThenWatch(): Promise<HostOptions> {
  const reader = Deno.stdin.readable.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  while (!buffered.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) Deno.exit(1);
    buffered += decoder.decode(value, { stream: true });
  }
  (async () => {
    while (!(await reader.read()).done);
    Deno.exit(1);
  })();
  return JSON.parse(buffered.slice(0, buffered.indexOf("\n")));
}

if (import.meta.main) {
  // Ctrl-C reaches the whole process group; the stack stops us itself, after its gateway.
  Deno.addSignalListener("SIGINT", () => {});
  await serveFunctions(await readOptionsThenWatch());
}
