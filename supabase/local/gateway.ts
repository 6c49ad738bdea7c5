/**
 * The local API gateway on api.port: serves every function declared in
 * supabase/config.toml at /functions/v1/<name> (Supabase's local URL shape) and mounts the
 * Storage fake at /storage/v1. The functions run in a child process of their own
 * (functions_host.ts), which the gateway starts, proxies to and restarts when it dies, so
 * that a crash test can kill them without killing the fakes.
 */
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";
import {
  bootError,
  type FunctionSpec,
  HOST_READY,
  type HostOptions,
  readFunctionSpecs,
} from "./functions_host.ts";
import { eachLine } from "./edge_runtime/supervisor.ts";
import type { WorkerLimits } from "./edge_runtime/runtime.ts";

export interface GatewayOptions {
  hostname: string;
  port: number;
  /** The internal port of the functions process. */
  functionsPort: number;
  /** The functions' environment: all they see of the stack's. */
  env: Record<string, string>;
  /** Each user worker's limits. */
  limits: WorkerLimits;
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
  setDown(name: string, down: boolean): Promise<void>;
  /**
   * Sets (string) or unsets (null) environment variables and starts new instances of the
   * functions with them, as `supabase secrets set` does on a hosted project (secrets are the
   * project's: every function gets them).
   */
  setEnv(name: string, env: Record<string, string | null>): Promise<void>;
  /**
   * SIGKILLs the functions process: requests in it and their waitUntil work die unanswered.
   * Resolves once a new process answers; until then functions answer 503 BOOT_ERROR.
   */
  killFunctions(): Promise<{ killed: number | null; pid: number }>;
  /** Limits for the workers started from now on (the process keeps them across a restart). */
  setLimits(limits: Partial<WorkerLimits>): Promise<WorkerLimits>;
  /** Workers started, retired and killed, and peak memory, per function. */
  stats(): Promise<unknown>;
  /** The function's live workers reach the hard CPU limit now, and are killed for it. */
  exhaust(name: string): Promise<unknown>;
  shutdown(): Promise<void>;
}

interface FunctionsProcess {
  pid: number;
  url: string;
  child: Deno.ChildProcess;
  /** Its own connections: a dead process's kept-alive ones must never be reused. */
  client: Deno.HttpClient;
  /** Resolves once the process has exited and all its output is logged. */
  exited: Promise<Deno.CommandStatus>;
}

const RETRY_MS = 1_000;

function json(status: number, body: unknown) {
  return Response.json(body, { status });
}

function describe(status: Deno.CommandStatus) {
  return status.signal ? `killed by ${status.signal}` : `exit code ${status.code}`;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const functions = await readFunctionSpecs();
  const publicUrl = `http://${opts.hostname}:${opts.port}`;
  // The switches outlive a process: a new one starts with them.
  const down = new Set<string>();
  const envOverrides: Record<string, string | null> = {};
  let limits = { ...opts.limits };

  /** Starts a functions process and waits until it answers (or throws with its last words). */
  async function spawnFunctions(): Promise<FunctionsProcess> {
    const env: Record<string, string> = { ...opts.env };
    for (const [key, value] of Object.entries(envOverrides)) {
      if (value === null) delete env[key];
      else env[key] = value;
    }
    const hostOptions: HostOptions = {
      port: opts.functionsPort,
      publicUrl,
      apiKeys: opts.apiKeys,
      down: [...down],
      env,
      limits,
    };
    // In a session of its own (setsid), so that a kill reaches its workers too.
    const child = new Deno.Command("setsid", {
      args: [
        Deno.execPath(),
        "run",
        "-A",
        "--config",
        join(projectRoot, "deno.json"),
        join(projectRoot, "supabase", "local", "functions_host.ts"),
      ],
      cwd: projectRoot,
      // NO_COLOR: its output goes to the stack's log, often a file.
      env: { NO_COLOR: "1" },
      // The options, then nothing: the child exits when it closes, that is when we die.
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stdin = child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode(JSON.stringify(hostOptions) + "\n"));
    const ready = Promise.withResolvers<null>();
    const lastWords: string[] = [];
    const logLine = (line: string) => {
      lastWords.push(line);
      if (lastWords.length > 20) lastWords.shift();
      opts.log(line);
    };
    const output = Promise.all([
      eachLine(child.stdout, (line) => line === HOST_READY ? ready.resolve(null) : logLine(line)),
      eachLine(child.stderr, logLine),
    ]);
    const exited = Promise.all([child.status, output]).then(([status]) => {
      stdin.close().catch(() => {});
      return status;
    });
    const early = await Promise.race([ready.promise, exited]);
    if (early) {
      throw new Error(
        `the functions process exited (${describe(early)}) before it was ready:\n` +
          lastWords.join("\n"),
      );
    }
    const client = Deno.createHttpClient({});
    return {
      pid: child.pid,
      url: `http://127.0.0.1:${opts.functionsPort}`,
      child,
      client,
      exited: exited.finally(() => client.close()),
    };
  }

  /** The process answering requests; null while none does (starting, killed, crashed). */
  let current: FunctionsProcess | null = null;
  let stopping = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  // Starts, kills and switches run one at a time, so each sees the process the last one left.
  let lifecycle: Promise<unknown> = Promise.resolve();
  function serially<T>(op: () => Promise<T>): Promise<T> {
    const run = lifecycle.then(op);
    lifecycle = run.catch(() => {});
    return run;
  }

  async function launch(): Promise<FunctionsProcess> {
    const fp = await spawnFunctions();
    current = fp;
    fp.exited.then((status) => {
      if (current !== fp) return; // killed on purpose
      current = null;
      opts.log(`functions process ${fp.pid} died (${describe(status)}); starting a new one`);
      relaunch();
    });
    return fp;
  }

  /** Starts a process after a crash, and again every RETRY_MS while it cannot start. */
  function relaunch() {
    if (stopping) return;
    serially(launch).catch(() => {
      opts.log(`the functions process could not start (see above); again in ${RETRY_MS} ms`);
      retry = setTimeout(relaunch, RETRY_MS);
    });
  }

  /** Passes a switch to the running process; one that is not running starts with it. */
  function tell(path: string, body: unknown) {
    return serially(async () => {
      if (!current) return;
      const res = await fetch(`${current.url}${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        client: current.client,
      });
      const answer = await res.text();
      if (!res.ok) throw new Error(`functions process: ${path} answered ${res.status}: ${answer}`);
    });
  }

  /** Asks the running process (null when none runs). */
  function ask(path: string, method = "GET") {
    return serially(async () => {
      if (!current) return null;
      const res = await fetch(`${current.url}${path}`, { method, client: current.client });
      return await res.json();
    });
  }

  async function proxy(req: Request, url: URL): Promise<Response> {
    const fp = current;
    if (!fp) return bootError();
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    let res: Response;
    try {
      res = await fetch(new URL(`${url.pathname}${url.search}`, fp.url), {
        method: req.method,
        headers: req.headers,
        body: hasBody ? req.body : null,
        redirect: "manual",
        client: fp.client,
      });
    } catch {
      // The process died with the request in it: nothing answered, as for a worker that is gone.
      return bootError();
    }
    return new Response(res.body, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  }

  async function route(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/__stack/") && opts.control) {
      const res = await opts.control(req, url.pathname.slice("/__stack/".length));
      if (res) return res;
    }
    if (url.pathname.startsWith("/storage/v1") && opts.storageHandler) {
      return opts.storageHandler(req);
    }
    if (url.pathname.startsWith("/functions/v1/")) return await proxy(req, url);
    return json(404, { message: "no route matched", path: url.pathname });
  }

  await serially(launch);

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
    url: publicUrl,
    functions,
    async setDown(name, isDown) {
      if (isDown) down.add(name);
      else down.delete(name);
      await tell(`/__host/down/${name}`, { down: isDown });
    },
    async setEnv(name, env) {
      if (!functions.some((f) => f.name === name)) throw new Error(`No function ${name}`);
      Object.assign(envOverrides, env);
      await tell(`/__host/env/${name}`, { env });
    },
    killFunctions: () =>
      serially(async () => {
        const old = current;
        current = null;
        if (old) {
          // The whole session: the main worker and every user worker, as one crash.
          Deno.kill(-old.pid, "SIGKILL");
          await old.exited;
        }
        try {
          return { killed: old?.pid ?? null, pid: (await launch()).pid };
        } catch (err) {
          retry = setTimeout(relaunch, RETRY_MS);
          throw err;
        }
      }),
    async setLimits(changes) {
      limits = { ...limits, ...changes };
      await tell("/__host/limits", changes);
      return limits;
    },
    stats: () => ask("/__host/stats"),
    exhaust: (name) => ask(`/__host/exhaust/${name}`, "POST"),
    async shutdown() {
      stopping = true;
      clearTimeout(retry);
      await server.shutdown();
      await lifecycle;
      const fp = current;
      current = null;
      if (fp) {
        // Not SIGKILL: the functions finish what they accepted, as they did in one process.
        fp.child.kill("SIGTERM");
        await fp.exited;
      }
    },
  };
}
