import assert from "node:assert/strict";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";

Deno.test("DrainScheduler runs one drain at a time and serves requests made during a drain with one follow-up", async () => {
  let runs = 0;
  let release!: () => void;
  const scheduler = new DrainScheduler(async () => {
    runs++;
    if (runs === 1) await new Promise<void>((r) => (release = r));
    return runs;
  });
  const first = scheduler.request();
  const during = [scheduler.request(), scheduler.request(), scheduler.request()];
  release();
  assert.equal(await first, 1);
  assert.deepEqual(await Promise.all(during), [2, 2, 2]);
  assert.equal(runs, 2);
});

Deno.test("DrainScheduler starts a new drain after a failed one", async () => {
  let runs = 0;
  const scheduler = new DrainScheduler(() =>
    ++runs === 1 ? Promise.reject(new Error("db down")) : Promise.resolve(runs)
  );
  await assert.rejects(scheduler.request(), /db down/);
  assert.equal(await scheduler.request(), 2);
});
