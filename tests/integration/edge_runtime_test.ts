/**
 * The emulated edge runtime (supabase/local/edge_runtime/) against the rules of Supabase's:
 * user workers under Deno 2.1.4 with the per_worker supervisor's limits, a read-only
 * environment, no file writes, 503 BOOT_ERROR and 546 WORKER_LIMIT. The functions are the
 * fixtures in tests/fixtures/edge_functions/, declared only in their own config.toml.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  createSupervisor,
  type FunctionSpec,
  type Supervisor,
  WORKER_SCRIPT,
} from "../../supabase/local/edge_runtime/supervisor.ts";
import {
  cacheFunctions,
  HOSTED_LIMITS,
  type WorkerLimits,
} from "../../supabase/local/edge_runtime/runtime.ts";
import { HOST_READY, readFunctionSpecs } from "../../supabase/local/functions_host.ts";
import { eachLine } from "../../supabase/local/edge_runtime/supervisor.ts";
import { waitFor } from "../support/wait_for.ts";
import { functionEnv } from "../../supabase/local/local_env.ts";

const FIXTURES = fileURLToPath(
  new URL("../fixtures/edge_functions/", import.meta.url),
);
const CONFIG = join(FIXTURES, "supabase", "config.toml");
const PUBLIC_URL = "http://127.0.0.1:54999";

const specs = await readFunctionSpecs(CONFIG);
await cacheFunctions(specs, WORKER_SCRIPT);

/** A runtime of its own for one test, with these limits over the hosted ones. */
async function withRuntime(
  limits: Partial<WorkerLimits>,
  test: (rt: {
    supervisor: Supervisor;
    call: (path: string, init?: RequestInit) => Promise<Response>;
    logs: string[];
  }) => Promise<void>,
) {
  const logs: string[] = [];
  const supervisor = createSupervisor({
    publicUrl: PUBLIC_URL,
    env: { PROBE_SECRET: "injected" },
    limits: { ...HOSTED_LIMITS, ...limits },
    log: (line) => logs.push(line),
  });
  const call = (path: string, init: RequestInit = {}) => {
    const name = path.split("/")[1];
    const spec = specs.find((s) => s.name === name) as FunctionSpec;
    return supervisor.serve(
      spec,
      new Request(`${PUBLIC_URL}${path}`, init),
      path,
    );
  };
  try {
    await test({ supervisor, call, logs });
  } finally {
    await supervisor.shutdown();
  }
}

async function workerOf(res: Response): Promise<string> {
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).worker;
}

Deno.test("a worker runs the function under Deno 2.1.4 with only its environment, read-only", async () => {
  await withRuntime({}, async ({ call }) => {
    const who = await (await call("/probe/whoami")).json();
    assert.equal(who.deno, "2.1.4");
    assert.equal(who.url, `${PUBLIC_URL}/probe/whoami`);
    assert.equal(who.probeSecret, "injected");
    assert.equal(
      who.denoDir,
      null,
      "the runtime's own variables are not the function's",
    );
    assert.match(who.executionId, /^[0-9a-f-]{36}$/);

    const env = await (await call("/probe/env", { method: "POST" })).json();
    assert.deepEqual(env, {
      set: "NotSupported",
      processEnv: "NotSupported",
      after: "injected",
    });
  });
});

Deno.test("a worker may write only under /tmp, and cannot start a process", async () => {
  await withRuntime({}, async ({ call }) => {
    const res = await call("/probe/write", { method: "POST" });
    const tried = await res.json();
    assert.notEqual(tried.writeFile, "ok");
    assert.notEqual(tried.mkdir, "ok");
    assert.equal(tried.tmp, "ok");
    assert.notEqual(tried.command, "ok");
    await assert.rejects(
      Deno.stat(join(FIXTURES, "probe", "written.txt")),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("a worker past its soft CPU limit gets no new requests; a fresh worker serves them, and the old one is dropped once idle", async () => {
  await withRuntime(
    { cpuSoftMs: 400, cpuHardMs: 10_000 },
    async ({ supervisor, call, logs }) => {
      const first = await workerOf(
        await call("/probe/burn?ms=500", { method: "POST" }),
      );
      await waitFor(
        "the worker retired",
        () => Promise.resolve(supervisor.stats().functions.probe.retiredCpu),
      );
      const second = await workerOf(await call("/probe/whoami"));
      assert.notEqual(second, first);
      await waitFor(
        "the retired worker's early_drop",
        () =>
          Promise.resolve(
            logs.some((l) => l.endsWith(`probe ${first} beforeunload early_drop`)),
          ),
      );
      assert.equal(await workerOf(await call("/probe/whoami")), second);
      const stats = supervisor.stats().functions.probe;
      assert.equal(stats.started, 2);
      assert.equal(stats.killedCpu, 0);
    },
  );
});

Deno.test("a worker's CPU counts from its module's evaluation: loading the graph is the runtime's, the function's top level is its own", async () => {
  await withRuntime({ cpuSoftMs: 80, cpuHardMs: 10_000 }, async ({ supervisor, call }) => {
    await workerOf(await call("/probe/whoami"));
    const res = await call("/slow-start");
    assert.equal(await res.text(), "started");
    const { probe, "slow-start": slow } = supervisor.stats().functions;
    assert.ok(probe.peakLoadCpuMs > 50, `probe loaded in ${probe.peakLoadCpuMs} ms of CPU`);
    assert.ok(probe.peakBootCpuMs < 50, `probe's boot counted ${probe.peakBootCpuMs} ms`);
    assert.ok(slow.peakBootCpuMs >= 100, `slow-start's boot counted ${slow.peakBootCpuMs} ms`);
    await waitFor(
      "slow-start retired by its top level",
      () => Promise.resolve(supervisor.stats().functions["slow-start"].retiredCpu > 0),
    );
    assert.equal(supervisor.stats().functions.probe.retiredCpu, 0);
  });
});

Deno.test("a retired worker finishes its waitUntil work before it is dropped", async () => {
  await withRuntime(
    { cpuSoftMs: 300, cpuHardMs: 10_000 },
    async ({ call, logs }) => {
      const worker = await workerOf(
        await call("/probe/later?ms=500", { method: "POST" }),
      );
      await waitFor("the background work and then the drop", () => {
        const done = logs.findIndex((l) => l.endsWith(`probe ${worker} later done`));
        const drop = logs.findIndex((l) => l.endsWith(`probe ${worker} beforeunload early_drop`));
        return Promise.resolve(done >= 0 && drop > done);
      });
    },
  );
});

Deno.test("workers retired and ended while requests arrive answer every request in full", async () => {
  // Each worker is retired by its first request (1 ms soft limit) and ends once idle, while
  // four callers keep sending bodies the function answers without reading. A request routed to
  // a worker just before its retirement, or an answer written just before it ends, must not be
  // lost with it (CI saw a 500 for notify-lead's 413 on a declared length).
  await withRuntime({ cpuSoftMs: 1, cpuHardMs: 10_000 }, async ({ supervisor, call }) => {
    const body = "a".repeat(300 * 1024);
    const statuses = await Promise.all([0, 1, 2, 3].map(async () => {
      const seen: number[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await call("/probe/refuse?ms=5", {
          method: "POST",
          headers: { "content-length": String(body.length) },
          body,
        });
        seen.push(res.status);
        await res.body?.cancel();
      }
      return seen;
    }));
    assert.deepEqual(statuses.flat(), Array(40).fill(413));
    assert.ok(supervisor.stats().functions.probe.started > 4, "workers were retired");
  });
});

Deno.test("at the hard CPU limit the worker is killed and its request answered 546", async () => {
  await withRuntime(
    { cpuSoftMs: 300, cpuHardMs: 800 },
    async ({ supervisor, call, logs }) => {
      const res = await call("/probe/burn?ms=5000", { method: "POST" });
      assert.equal(res.status, 546);
      assert.equal((await res.json()).code, "WORKER_LIMIT");
      const stats = supervisor.stats().functions.probe;
      assert.equal(stats.killedCpu, 1);
      assert.ok(
        !logs.some((l) => l.includes("beforeunload early_drop")),
        "no event at a kill",
      );
      // The next request gets a new worker.
      assert.equal((await call("/probe/whoami")).status, 200);
    },
  );
});

Deno.test("the wall clock's beforeunload comes before the limit while the worker is busy, then the worker is ended", async () => {
  await withRuntime(
    { wallClockMs: 2_000 },
    async ({ supervisor, call, logs }) => {
      const res = await call("/probe/wait?ms=10000", { method: "POST" });
      assert.equal(res.status, 546);
      await res.body?.cancel();
      assert.ok(
        logs.some((l) => / beforeunload wall_clock$/.test(l)),
        logs.join("\n"),
      );
      assert.equal(supervisor.stats().functions.probe.killedWallClock, 1);
    },
  );
});

Deno.test("a memory hog is ended and its request answered 546", async () => {
  await withRuntime(
    { memoryMb: 64, cpuHardMs: 60_000 },
    async ({ supervisor, call }) => {
      const res = await call("/probe/hog", { method: "POST" });
      assert.equal(res.status, 546);
      await res.body?.cancel();
      assert.equal(supervisor.stats().functions.probe.killedMemory, 1);
    },
  );
});

Deno.test("a function that fails at boot answers 503 BOOT_ERROR, every time", async () => {
  await withRuntime({}, async ({ supervisor, call }) => {
    for (let i = 0; i < 2; i++) {
      const res = await call("/boot-failure", { method: "POST" });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).code, "BOOT_ERROR");
    }
    assert.equal(supervisor.stats().functions["boot-failure"].bootErrors, 2);
  });
});

/** A port free now (a fixed one in the ephemeral range can be an outgoing connection's). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("the functions host serves what config.toml declares, and only that", async () => {
  const port = freePort();
  const host = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(
        new URL("../../supabase/local/functions_host.ts", import.meta.url),
      ),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const ready = Promise.withResolvers<void>();
  const output = eachLine(
    host.stdout,
    (line) => line === HOST_READY && ready.resolve(),
  );
  const stdin = host.stdin.getWriter();
  await stdin.write(new TextEncoder().encode(
    JSON.stringify({
      port,
      publicUrl: PUBLIC_URL,
      apiKeys: ["the-anon-key"],
      down: [],
      env: {},
      limits: HOSTED_LIMITS,
      configPath: CONFIG,
    }) + "\n",
  ));
  try {
    await ready.promise;
    const base = `http://127.0.0.1:${port}/functions/v1`;
    const who = await (await fetch(`${base}/probe/whoami`)).json();
    assert.equal(who.deno, "2.1.4");
    const missing = await fetch(`${base}/disabled`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "Function not found");
    const refused = await fetch(`${base}/guarded/whoami`);
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const allowed = await fetch(`${base}/guarded/whoami`, {
      headers: { authorization: "Bearer the-anon-key" },
    });
    assert.equal(allowed.status, 200);
    await allowed.body?.cancel();
  } finally {
    await stdin.close();
    await host.status;
    await output;
  }
});

Deno.test("our functions run React's production build: the stack sets NODE_ENV as a secret would", async () => {
  const env = functionEnv({}, {
    apiUrl: PUBLIC_URL,
    dbUrl: "postgresql://postgres:postgres@127.0.0.1:1/postgres",
    twilioUrl: PUBLIC_URL,
    resendUrl: PUBLIC_URL,
  });
  assert.equal(env.NODE_ENV, "production");
  const build = async (nodeEnv?: string) => {
    const supervisor = createSupervisor({
      publicUrl: PUBLIC_URL,
      env: nodeEnv ? { NODE_ENV: nodeEnv } : {},
      limits: HOSTED_LIMITS,
      log: () => {},
    });
    try {
      const spec = specs.find((s) => s.name === "react-build") as FunctionSpec;
      const res = await supervisor.serve(
        spec,
        new Request(`${PUBLIC_URL}/react-build`),
        "/react-build",
      );
      return (await res.json()).production;
    } finally {
      await supervisor.shutdown();
    }
  };
  assert.equal(await build(env.NODE_ENV), true);
  assert.equal(
    await build(undefined),
    false,
    "without the secret, React's development build",
  );
});

Deno.test("a function deployed with a secret published in this repository refuses to start, naming it", async () => {
  const [leadAction] = (await readFunctionSpecs()).filter((s) => s.name === "lead-action");
  await cacheFunctions([leadAction], WORKER_SCRIPT);
  const local = functionEnv({}, {
    apiUrl: PUBLIC_URL,
    dbUrl: "postgresql://postgres:postgres@127.0.0.1:1/postgres",
    twilioUrl: PUBLIC_URL,
    resendUrl: PUBLIC_URL,
  });
  const serve = async (env: Record<string, string>) => {
    const logs: string[] = [];
    const supervisor = createSupervisor({
      publicUrl: PUBLIC_URL,
      env,
      limits: HOSTED_LIMITS,
      log: (line) => logs.push(line),
    });
    try {
      const res = await supervisor.serve(
        leadAction,
        new Request(`${PUBLIC_URL}/lead-action?t=x`),
        "/lead-action",
      );
      return { status: res.status, body: await res.text(), logs: logs.join("\n") };
    } finally {
      await supervisor.shutdown();
    }
  };
  const hosted = { ...local, SUPABASE_URL: "https://abcdefghijklmnopqrst.supabase.co" };
  const refused = await serve(hosted);
  assert.equal(refused.status, 503, refused.body);
  assert.match(refused.body, /BOOT_ERROR/);
  assert.match(refused.logs, /LEAD_ACTION_SECRET[^\n]* published in the leadwire repository/);
  assert.ok(!refused.logs.includes(local.LEAD_ACTION_SECRET), "the value itself is never shown");

  // Its own secret: it starts, and answers the bad link itself.
  const own = await serve({
    ...hosted,
    LEAD_ACTION_SECRET: crypto.randomUUID().repeat(2),
    SUPABASE_SERVICE_ROLE_KEY: crypto.randomUUID(),
  });
  assert.notEqual(own.status, 503, own.logs);
  assert.doesNotMatch(own.body, /BOOT_ERROR/);
});
