import assert from "node:assert/strict";
import { DrainScheduler } from "../../shared/notify_lead/drain_scheduler.ts";
import { RateLimiter } from "../../shared/outbox/rate_limiter.ts";

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
  const scheduler = new DrainScheduler(() => ++runs === 1 ? Promise.reject(new Error("db down")) : Promise.resolve(runs));
  await assert.rejects(scheduler.request(), /db down/);
  assert.equal(await scheduler.request(), 2);
});

Deno.test("RateLimiter lets 2 calls through per window and makes the third wait a window after an answer", async () => {
  const limiter = new RateLimiter(2, 200);
  const started = Date.now();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const answered = await limiter.take();
    times.push(Date.now() - started);
    answered();
  }
  assert.ok(times[1] < 50, `second call at ${times[1]} ms`);
  assert.ok(times[2] >= 195, `third call waited until ${times[2]} ms`);
});

Deno.test("RateLimiter holds a slot while its call is unanswered", async () => {
  const limiter = new RateLimiter(1, 50);
  const first = await limiter.take();
  let second = false;
  const waiting = limiter.take().then((done) => {
    second = true;
    done();
  });
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(second, false, "still waiting: the first call has not been answered");
  first();
  await waiting;
  assert.equal(second, true);
});
