/**
 * One user worker of the emulated edge runtime: runs inside its own process under the runtime's
 * Deno (2.1.4), started by the supervisor (supervisor.ts) with only the function's config, its
 * environment and no write permission. It gives the function what a Supabase user worker has
 * and nothing more:
 *
 *   - `Deno.serve` captured: the function's handler answers the requests the supervisor routes
 *     here (on a loopback port of this process; the function never binds one itself);
 *   - `EdgeRuntime.waitUntil`, the only EdgeRuntime member a user worker sees;
 *   - a read-only environment: `Deno.env.set` (and so `process.env.X = …`) throws
 *     NotSupported, as the runtime's `op_set_env` does; `Deno.env.delete` does nothing;
 *   - `beforeunload` (a CustomEvent, `event.detail.reason` in the runtime's snake_case):
 *     "early_drop" once the supervisor has retired the worker and nothing is pending (no
 *     request in flight, no waitUntil open), after which the worker ends (half a second later, for
 *     a request routed to it just before its retirement, served if it comes); "cpu", "wall_clock"
 *     or "memory" at 90% of the hard CPU limit, the wall clock or the memory limit, busy or
 *     not (the runtime's `--dispatch-beforeunload-*-ratio` defaults).
 *
 * It talks to the supervisor over its standard streams: control lines in on stdin (its end
 * means the supervisor is gone, and the worker with it), status lines out on stdout behind
 * STATUS_MARK. Everything else the function prints is its log.
 */

/** What the supervisor tells a worker when it starts it (argv[0], JSON). */
export interface WorkerBoot {
  name: string;
  /** file: URL of the function's entrypoint. */
  entrypoint: string;
  /** The origin functions see in `req.url` (the gateway's), path `/<name>/…`. */
  publicUrl: string;
  /** Memory limit over the V8 heap plus ArrayBuffers (the runtime's measure), in bytes. */
  memoryLimitBytes: number;
  /** Variables the runtime process needs that the function must not see. */
  runtimeOnlyEnv: string[];
}

/** Prefix of the lines a worker writes for its supervisor. */
export const STATUS_MARK = "\u001eedge-worker ";

export type WorkerStatus =
  | { kind: "evaluating" }
  | { kind: "ready"; port: number }
  | { kind: "memory"; bytes: number; over: boolean };

export type UnloadReason = "early_drop" | "cpu" | "wall_clock" | "memory";

export type WorkerControl =
  | { kind: "evaluate" }
  | { kind: "retire" }
  | { kind: "unload"; reason: UnloadReason };

/** The share of a limit at which the runtime dispatches `beforeunload` (its default ratio). */
export const BEFOREUNLOAD_RATIO = 0.9;

type Handler = (req: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const EVALUATION_START = new URL("./evaluation_start.ts", import.meta.url).href;

const encoder = new TextEncoder();
function tell(status: WorkerStatus) {
  Deno.stdout.writeSync(encoder.encode(`${STATUS_MARK}${JSON.stringify(status)}\n`));
}

/** Control input read before the worker's reader started (see markEvaluation). */
let stdinCarry = "";

/** The global through which evaluation_start.ts reaches markEvaluation (an import of this file
 * from the function's graph would wait for this still-running module: a deadlock). */
const EVALUATION_HOOK = Symbol.for("edge-worker:evaluating");

/**
 * Called by evaluation_start.ts, the first module of the function's graph to be evaluated: the
 * whole graph is loaded and compiled by then. The runtime counts a worker's CPU from its main
 * module's evaluation on (crates/base/src/runtime/mod.rs: `init_main_module` runs outside the
 * CPU metrics guard, `mod_evaluate` and each event loop poll inside it), so the supervisor
 * reads the CPU spent so far as the base it does not count. The worker waits for that reading
 * (blocked in a read, spending nothing), so the base is exact.
 */
function markEvaluation() {
  tell({ kind: "evaluating" });
  const buf = new Uint8Array(256);
  const decoder = new TextDecoder();
  const go = `${JSON.stringify({ kind: "evaluate" } satisfies WorkerControl)}\n`;
  // Lines sent before it (a retire) stay for the worker's reader.
  while (!stdinCarry.includes(go)) {
    const n = Deno.stdin.readSync(buf);
    if (n === null) Deno.exit(1);
    stdinCarry += decoder.decode(buf.subarray(0, n), { stream: true });
  }
  stdinCarry = stdinCarry.replace(go, "");
}

/** How often the worker measures its memory (it is cheap: V8's own counters). */
const MEMORY_CHECK_MS = 100;

/** How long a retired worker with nothing left to do waits before it ends. */
const EXIT_GRACE_MS = 500;

async function run(boot: WorkerBoot) {
  for (const name of boot.runtimeOnlyEnv) Deno.env.delete(name);
  Object.assign(Deno.env, {
    set() {
      throw new Deno.errors.NotSupported("The operation is not supported");
    },
    delete() {},
  });

  const pending = new Set<Promise<unknown>>();
  let inflight = 0;
  /** A worker starts for a request: retired by its boot alone, it still serves that one. */
  let served = false;
  let retired = false;
  let dropping = false;
  let exiting = false;
  /** Requests this worker has taken, counted to see one arrive while it is ending. */
  let requests = 0;
  /** Request bodies their handler answered without reading, being read to their end. */
  const unread = new Set<Promise<void>>();

  const unload = (reason: UnloadReason) => {
    globalThis.dispatchEvent(
      new CustomEvent("beforeunload", { cancelable: true, detail: { reason } }),
    );
  };
  /** A retired worker that has nothing left to do is dropped early: told, then ended. */
  const settle = () => {
    if (!retired || !served || inflight > 0 || pending.size > 0 || unread.size > 0) return;
    if (!dropping) {
      dropping = true;
      unload("early_drop");
      // Listeners may start work (waitUntil): it is waited for, then the worker ends.
      setTimeout(settle, 0);
      return;
    }
    if (exiting) return;
    exiting = true;
    // The last answers may still be on their way out, and the supervisor may have routed one
    // more request here before it saw the retirement: both are given a moment, as the
    // runtime's main worker holds what it routed to a worker until the worker has answered.
    const requestsBefore = requests;
    setTimeout(() => {
      exiting = false;
      const idle = inflight === 0 && pending.size === 0 && unread.size === 0;
      if (idle && requests === requestsBefore) Deno.exit(0);
      settle();
    }, EXIT_GRACE_MS);
  };

  Object.defineProperty(globalThis, "EdgeRuntime", {
    value: Object.freeze({
      waitUntil<T>(promise: Promise<T>): Promise<T> {
        const tracked = Promise.resolve(promise).catch(() => {}).finally(() => {
          pending.delete(tracked);
          settle();
        });
        pending.add(tracked);
        return promise;
      },
    }),
  });

  const realServe = Deno.serve.bind(Deno);
  let handler: Handler | undefined;
  // deno-lint-ignore no-explicit-any
  (Deno as any).serve = (...args: any[]) => {
    const last = args[args.length - 1];
    handler = typeof last === "function" ? last : last?.handler;
    const finished = new Promise<void>(() => {});
    return { finished, shutdown: async () => {}, ref() {}, unref() {}, addr: {} };
  };
  Object.defineProperty(globalThis, EVALUATION_HOOK, { value: markEvaluation });
  // One entry that evaluates evaluation_start.ts first and then the function: ES modules are
  // all loaded and linked before the first is evaluated.
  const entry = [EVALUATION_START, boot.entrypoint].map((u) => `import ${JSON.stringify(u)};`);
  await import(`data:text/javascript,${encodeURIComponent(entry.join(""))}`);
  if (!handler) throw new Error(`Function ${boot.name} never called Deno.serve`);
  const serve = handler;

  // Reported when over the limit (the supervisor ends the worker) or a new peak by 1 MB.
  let peak = 0;
  let memoryNoticed = false;
  setInterval(() => {
    const { heapUsed, external } = Deno.memoryUsage();
    const bytes = heapUsed + external;
    const over = bytes > boot.memoryLimitBytes;
    if (!memoryNoticed && bytes >= boot.memoryLimitBytes * BEFOREUNLOAD_RATIO) {
      memoryNoticed = true;
      unload("memory");
    }
    if (!over && bytes < peak + 1024 * 1024) return;
    peak = Math.max(peak, bytes);
    tell({ kind: "memory", bytes, over });
  }, MEMORY_CHECK_MS);

  (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    const take = (text: string) => {
      const all = (partial + text).split("\n");
      partial = all.pop()!;
      for (const line of all) {
        const control = JSON.parse(line) as WorkerControl;
        if (control.kind === "retire") {
          retired = true;
          settle();
        } else if (control.kind === "unload") {
          unload(control.reason);
        }
      }
    };
    take(stdinCarry);
    for await (const chunk of Deno.stdin.readable) take(decoder.decode(chunk, { stream: true }));
    // The supervisor is gone: so is every worker it started.
    Deno.exit(1);
  })();

  realServe(
    {
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) => tell({ kind: "ready", port }),
    },
    async (req) => {
      inflight++;
      requests++;
      served = true;
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      try {
        const url = new URL(req.url);
        return await serve(
          new Request(new URL(`${url.pathname}${url.search}`, boot.publicUrl), {
            method: req.method,
            headers: req.headers,
            body: hasBody ? req.body : null,
          }),
          // What the runtime gives every handler: its in-memory connection has no real peer.
          {
            remoteAddr: { transport: "tcp", hostname: "0.0.0.0", port: 9999 },
          } as Deno.ServeHandlerInfo,
        );
      } finally {
        // A handler may answer before reading the body (a 413 on its declared length). The
        // runtime's in-memory hop takes the caller's whole upload anyway; over this loopback hop
        // an upload cut short by the worker ending breaks the caller's request (a 500 for a 413).
        if (hasBody && req.body && !req.body.locked) {
          const drained: Promise<void> = req.body.pipeTo(new WritableStream()).catch(() => {})
            .finally(() => {
              unread.delete(drained);
              settle();
            });
          unread.add(drained);
        }
        inflight--;
        settle();
      }
    },
  );
}

if (import.meta.main) {
  // Ctrl-C reaches the whole process group: the main worker decides when its workers end.
  Deno.addSignalListener("SIGINT", () => {});
  try {
    await run(JSON.parse(Deno.args[0]) as WorkerBoot);
  } catch (err) {
    console.error(`worker boot failed: ${(err as Error).stack ?? err}`);
    Deno.exit(1);
  }
}
