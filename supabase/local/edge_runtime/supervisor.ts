/**
 * The emulated edge runtime's main worker: routes each function's requests to user workers
 * (worker.ts, one process each, under the runtime's Deno) and supervises them with the
 * runtime's `per_worker` policy, as supabase/edge-runtime does
 * (crates/base/src/worker/supervisor/strategy_per_worker.rs):
 *
 *   - a worker serves requests, concurrently, until it is retired or ended;
 *   - CPU time is the worker's JS thread's (the runtime's CLOCK_THREAD_CPUTIME_ID), read from
 *     the OS, from its main module's evaluation on, over its whole life: the function's top
 *     level, requests and waitUntil work alike (loading and compiling the module graph before
 *     that is the runtime's, uncounted, as in `DenoRuntime::run`);
 *   - at the soft CPU limit it is retired: new requests go to a new worker, and once nothing
 *     is pending it gets `beforeunload` ("early_drop") and ends;
 *   - at 90% of the hard CPU limit it gets `beforeunload` ("cpu"), busy or not; at the hard
 *     limit it is killed at once; its requests in flight are answered 546 WORKER_LIMIT;
 *   - at half its wall clock it is retired, at 90% it gets `beforeunload` ("wall_clock"), busy
 *     or not, and at the wall clock it is killed (546);
 *   - at 90% of the memory limit (V8 heap plus ArrayBuffers) it gets `beforeunload`
 *     ("memory"); over it, it is killed (546);
 *   - a worker that cannot boot answers 503 BOOT_ERROR.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { projectRoot } from "../cluster.ts";
import { configArgs, EDGE_DENO, EDGE_DENO_DIR, lockFile, type WorkerLimits } from "./runtime.ts";
import {
  BEFOREUNLOAD_RATIO,
  STATUS_MARK,
  type WorkerBoot,
  type WorkerControl,
  type WorkerStatus,
} from "./worker.ts";

export interface FunctionSpec {
  name: string;
  /** Absolute path of the entrypoint. */
  entrypoint: string;
  /** Absolute path of the file config.toml names as `import_map` (a deno.json or an import map). */
  config: string | null;
  verifyJwt: boolean;
}

export interface SupervisorOptions {
  /** The origin functions see in `req.url`. */
  publicUrl: string;
  /** Every function's environment (what Supabase injects, and the project's secrets). */
  env: Record<string, string>;
  limits: WorkerLimits;
  log: (line: string) => void;
}

/** What happened to one function's workers since the runtime started. */
export interface FunctionStats {
  started: number;
  bootErrors: number;
  /** Retired at the soft CPU limit. */
  retiredCpu: number;
  killedCpu: number;
  killedWallClock: number;
  killedMemory: number;
  /** Highest V8 heap + ArrayBuffers any of its workers reported, bytes. */
  peakMemoryBytes: number;
  /** Highest counted CPU time any of its workers had spent when it was ready to serve, ms. */
  peakBootCpuMs: number;
  /** Highest CPU time any of its workers spent loading its module graph (uncounted), ms. */
  peakLoadCpuMs: number;
  /** Answers 546 WORKER_LIMIT given to requests in flight. */
  limitAnswers: number;
  /** CPU time of all its workers, ended and alive, ms. */
  cpuMs: number;
}

type Ending = "cpu" | "wallclock" | "memory" | "crash" | "exit";

export const WORKER_SCRIPT = fileURLToPath(new URL("./worker.ts", import.meta.url));
/** How often the supervisor reads its workers' CPU time and clocks. */
const TICK_MS = 25;
/** What the runtime's process needs and a function must not see (dropped inside the worker). */
const RUNTIME_ONLY_ENV = ["DENO_DIR", "NO_COLOR", "DENO_NO_UPDATE_CHECK", "DENO_TLS_CA_STORE"];

/**
 * A faked clock (Debian's faketime: LD_PRELOAD and its FAKETIME* settings), handed on so the
 * workers keep the time every other process of the stack keeps, as a worker shares its host's
 * clock. Left in the worker's environment: libfaketime reads its settings again while the
 * process runs.
 */
const CLOCK_ENV = Object.fromEntries(
  Object.entries(Deno.env.toObject()).filter(([name]) =>
    name === "LD_PRELOAD" || name.startsWith("FAKETIME")
  ),
);

function json(status: number, body: unknown) {
  return Response.json(body, { status });
}

/** What the main worker answers when a function's worker cannot boot. */
export function bootError() {
  return json(503, { code: "BOOT_ERROR", message: "Worker failed to boot (please check logs)" });
}

/** What the main worker answers a request whose worker a resource limit ended. */
export function workerLimit() {
  return json(546, {
    code: "WORKER_LIMIT",
    message: "Worker failed to respond due to a resource limit (please check logs)",
  });
}

/** CPU time of a process's main thread (where Deno runs JavaScript), ms; null once it is gone. */
function threadCpuMs(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/schedstat`);
    return Number(stat.split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
}

let workerSerial = 0;

class UserWorker {
  readonly id = ++workerSerial;
  readonly startedAt = performance.now();
  readonly child: Deno.ChildProcess;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<Deno.CommandStatus>;
  port = 0;
  /** Counted CPU time (from evaluation on), ms. */
  cpuMs = 0;
  /** The thread's CPU time when evaluation began (loading, uncounted); null before. */
  cpuBaseMs: number | null = null;
  inflight = 0;
  retired = false;
  /** Which `beforeunload` reasons it has been sent (each once). */
  noticed = new Set<"cpu" | "wall_clock">();
  ending: Ending | null = null;
  /** V8 said its heap ran out (over --max-old-space-size): the memory limit, not a crash. */
  outOfMemory = false;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  client = Deno.createHttpClient({});

  constructor(
    readonly spec: FunctionSpec,
    env: Record<string, string>,
    public limits: WorkerLimits,
    publicUrl: string,
    onStatus: (w: UserWorker, s: WorkerStatus) => void,
    log: (line: string) => void,
  ) {
    const boot: WorkerBoot = {
      name: spec.name,
      entrypoint: pathToFileURL(spec.entrypoint).href,
      publicUrl,
      memoryLimitBytes: limits.memoryMb * 1024 * 1024,
      runtimeOnlyEnv: RUNTIME_ONLY_ENV,
    };
    this.child = new Deno.Command(EDGE_DENO, {
      args: [
        "run",
        "--cached-only",
        `--lock=${lockFile(spec.name)}`,
        "--frozen",
        ...configArgs(spec.config),
        // Writes only under /tmp (the runtime's TmpFs), never to the project (which may itself
        // be checked out under /tmp); no --allow-run or --allow-ffi: the runtime refuses
        // subprocesses and native code too.
        "--allow-net",
        "--allow-read",
        "--allow-write=/tmp",
        `--deny-write=${projectRoot}`,
        "--allow-env",
        "--allow-sys",
        `--v8-flags=--max-old-space-size=${limits.memoryMb}`,
        WORKER_SCRIPT,
        JSON.stringify(boot),
      ],
      clearEnv: true,
      env: {
        ...env,
        ...CLOCK_ENV,
        SB_EXECUTION_ID: crypto.randomUUID(),
        DENO_DIR: EDGE_DENO_DIR,
        NO_COLOR: "1",
        DENO_NO_UPDATE_CHECK: "1",
      },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.child.stdin.getWriter();
    const ready = Promise.withResolvers<boolean>();
    this.ready = ready.promise;
    const prefix = `[${spec.name}#${this.id}]`;
    const output = Promise.all([
      eachLine(this.child.stdout, (line) => {
        if (!line.startsWith(STATUS_MARK)) return log(`${prefix} ${line}`);
        const status = JSON.parse(line.slice(STATUS_MARK.length)) as WorkerStatus;
        if (status.kind === "ready") {
          this.port = status.port;
          ready.resolve(true);
        }
        onStatus(this, status);
      }),
      eachLine(this.child.stderr, (line) => {
        if (/out of memory/i.test(line)) this.outOfMemory = true;
        log(`${prefix} ${line}`);
      }),
    ]);
    this.exited = Promise.all([this.child.status, output]).then(([status]) => {
      ready.resolve(false);
      this.client.close();
      this.#stdin.close().catch(() => {});
      return status;
    });
  }

  get alive() {
    return this.ending === null;
  }

  send(control: WorkerControl) {
    this.#stdin.write(new TextEncoder().encode(JSON.stringify(control) + "\n")).catch(() => {});
  }

  kill(ending: Ending) {
    if (this.ending !== null) return;
    this.ending = ending;
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Calls onLine with each line of a child's output. */
export async function eachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
) {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop()!;
    lines.forEach(onLine);
  }
  if (partial) onLine(partial);
}

export interface Supervisor {
  /** Answers a request for a function as the runtime would (path `/<name>/…`). */
  serve(spec: FunctionSpec, req: Request, path: string): Promise<Response>;
  /** Retires every worker of a function: new requests start one with the current settings. */
  retire(name: string): void;
  /**
   * Replaces a function's workers, as a redeploy with new settings does: new requests start new
   * ones, and the old ones are told they are ending (`beforeunload`, so their drains hand back
   * what they hold instead of lingering with the old settings). Resolves once they are gone, or
   * after `waitMs`.
   */
  replace(name: string, waitMs: number): Promise<void>;
  /**
   * Brings every live worker of a function to its hard CPU limit now: the supervisor kills it
   * as it would one that burned its 2 s (a fault to inject at a chosen moment).
   */
  exhaust(name: string): number;
  /** Sets (string) or unsets (null) variables for the workers started from now on. */
  setEnv(env: Record<string, string | null>): void;
  setLimits(limits: Partial<WorkerLimits>): WorkerLimits;
  stats(): { limits: WorkerLimits; functions: Record<string, FunctionStats> };
  /** Lets workers finish what they accepted (their waitUntil work included), then ends them. */
  shutdown(): Promise<void>;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  let limits = { ...opts.limits };
  const env = { ...opts.env };
  const active = new Map<string, UserWorker>();
  const live = new Set<UserWorker>();
  const counts = new Map<string, FunctionStats>();
  const statsOf = (name: string) => {
    let s = counts.get(name);
    if (!s) {
      s = {
        started: 0,
        bootErrors: 0,
        retiredCpu: 0,
        killedCpu: 0,
        killedWallClock: 0,
        killedMemory: 0,
        peakMemoryBytes: 0,
        peakBootCpuMs: 0,
        peakLoadCpuMs: 0,
        limitAnswers: 0,
        cpuMs: 0,
      };
      counts.set(name, s);
    }
    return s;
  };

  function retireWorker(w: UserWorker) {
    if (w.retired) return;
    w.retired = true;
    if (active.get(w.spec.name) === w) active.delete(w.spec.name);
    w.send({ kind: "retire" });
  }

  function onStatus(w: UserWorker, status: WorkerStatus) {
    const s = statsOf(w.spec.name);
    if (status.kind === "evaluating") {
      w.cpuBaseMs = threadCpuMs(w.child.pid) ?? 0;
      s.peakLoadCpuMs = Math.max(s.peakLoadCpuMs, w.cpuBaseMs);
      w.send({ kind: "evaluate" });
    } else if (status.kind === "ready") {
      const cpu = threadCpuMs(w.child.pid);
      if (cpu !== null) s.peakBootCpuMs = Math.max(s.peakBootCpuMs, cpu - (w.cpuBaseMs ?? 0));
    } else if (status.kind === "memory") {
      s.peakMemoryBytes = Math.max(s.peakMemoryBytes, status.bytes);
      if (status.over && w.alive) {
        opts.log(`[${w.spec.name}#${w.id}] memory limit (${limits.memoryMb} MB) exceeded: killed`);
        s.killedMemory++;
        w.kill("memory");
      }
    }
  }

  function start(spec: FunctionSpec): UserWorker {
    const w = new UserWorker(spec, env, limits, opts.publicUrl, onStatus, opts.log);
    statsOf(spec.name).started++;
    live.add(w);
    active.set(spec.name, w);
    w.ready.then((ok) => {
      if (ok) return;
      statsOf(spec.name).bootErrors++;
      if (active.get(spec.name) === w) active.delete(spec.name);
    });
    w.exited.then((status) => {
      live.delete(w);
      statsOf(spec.name).cpuMs += w.cpuMs;
      if (active.get(spec.name) === w) active.delete(spec.name);
      if (w.ending !== null) return;
      if (w.outOfMemory) {
        opts.log(`[${spec.name}#${w.id}] memory limit (${limits.memoryMb} MB) exceeded: ended`);
        statsOf(spec.name).killedMemory++;
        w.ending = "memory";
      } else {
        w.ending = status.success ? "exit" : "crash";
      }
    });
    return w;
  }

  const ticker = setInterval(() => {
    const now = performance.now();
    for (const w of live) {
      if (!w.alive) continue;
      const thread = threadCpuMs(w.child.pid);
      if (thread === null) continue;
      const cpu = w.cpuBaseMs === null ? 0 : thread - w.cpuBaseMs;
      w.cpuMs = cpu;
      const s = statsOf(w.spec.name);
      const age = now - w.startedAt;
      if (cpu >= w.limits.cpuHardMs) {
        opts.log(`[${w.spec.name}#${w.id}] CPU hard limit (${cpu.toFixed(0)} ms): killed`);
        s.killedCpu++;
        w.kill("cpu");
      } else if (age >= w.limits.wallClockMs) {
        opts.log(`[${w.spec.name}#${w.id}] wall clock (${w.limits.wallClockMs} ms): killed`);
        s.killedWallClock++;
        w.kill("wallclock");
      } else {
        if (!w.retired && cpu >= w.limits.cpuSoftMs) {
          opts.log(`[${w.spec.name}#${w.id}] CPU soft limit (${cpu.toFixed(0)} ms): retired`);
          s.retiredCpu++;
          retireWorker(w);
        }
        if (!w.retired && age >= w.limits.wallClockMs / 2) retireWorker(w);
        const notice = (reason: "cpu" | "wall_clock", reached: boolean) => {
          if (!reached || w.noticed.has(reason)) return;
          w.noticed.add(reason);
          w.send({ kind: "unload", reason });
        };
        notice("cpu", cpu >= w.limits.cpuHardMs * BEFOREUNLOAD_RATIO);
        notice("wall_clock", age >= w.limits.wallClockMs * BEFOREUNLOAD_RATIO);
      }
    }
  }, TICK_MS);

  /**
   * The function's active worker, or a new one. A request that starts a worker is its first:
   * it is served there even if the boot alone retired the worker, as the runtime routes it.
   */
  async function workerFor(spec: FunctionSpec): Promise<UserWorker> {
    const w = active.get(spec.name) ?? start(spec);
    await w.ready;
    return w;
  }

  return {
    async serve(spec, req, path) {
      const w = await workerFor(spec);
      if (!w.port) return bootError();
      w.inflight++;
      try {
        const hasBody = req.method !== "GET" && req.method !== "HEAD";
        // The hop to the worker is internal: nothing to compress (fetch would decompress the
        // body and pass the header on). Without the header, fetch would ask for gzip itself.
        const headers = new Headers(req.headers);
        headers.set("accept-encoding", "identity");
        const res = await fetch(`http://127.0.0.1:${w.port}${path}`, {
          method: req.method,
          headers,
          body: hasBody ? req.body : null,
          redirect: "manual",
          client: w.client,
        });
        // The body is streamed on: its length is the server's to frame (it may compress it).
        const headers_ = new Headers(res.headers);
        headers_.delete("content-length");
        return new Response(res.body, {
          status: res.status,
          statusText: res.statusText,
          headers: headers_,
        });
      } catch (err) {
        await Promise.race([w.exited, new Promise((r) => setTimeout(r, 1_000))]);
        if (w.ending === "cpu" || w.ending === "wallclock" || w.ending === "memory") {
          statsOf(spec.name).limitAnswers++;
          return workerLimit();
        }
        if (w.ending === "crash" || w.ending === "exit") {
          return json(500, {
            code: "WORKER_ERROR",
            message: "Function exited due to an error (please check logs)",
          });
        }
        throw err;
      } finally {
        w.inflight--;
      }
    },
    retire(name) {
      for (const w of live) if (w.spec.name === name) retireWorker(w);
    },
    async replace(name, waitMs) {
      const old = [...live].filter((w) => w.spec.name === name && w.alive);
      for (const w of old) {
        retireWorker(w);
        w.send({ kind: "unload", reason: "early_drop" });
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(old.map((w) => w.exited)),
        new Promise((r) => timer = setTimeout(r, waitMs)),
      ]);
      clearTimeout(timer);
    },
    exhaust(name) {
      let workers = 0;
      for (const w of live) {
        if (w.spec.name !== name || !w.alive) continue;
        w.limits = { ...w.limits, cpuHardMs: 0 };
        workers++;
      }
      return workers;
    },
    setEnv(changes) {
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) delete env[key];
        else env[key] = value;
      }
    },
    setLimits(changes) {
      limits = { ...limits, ...changes };
      return limits;
    },
    stats() {
      const functions = Object.fromEntries(
        [...counts].map(([name, s]) => [name, { ...s }]),
      );
      for (const w of live) functions[w.spec.name].cpuMs += w.cpuMs;
      return { limits, functions };
    },
    async shutdown() {
      for (const w of live) retireWorker(w);
      // The limits still hold while they finish.
      await Promise.all([...live].map((w) => w.exited));
      clearInterval(ticker);
    },
  };
}
