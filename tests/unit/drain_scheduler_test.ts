import assert from "node:assert/strict";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";
import { settledState, withFakeTime } from "../support/fake_time.ts";

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

Deno.test("DrainScheduler wakes a drain waiting for a retry when a new request arrives", async () => {
  await withFakeTime(async (clock) => {
    let sleeping = 0;
    const slept: number[] = [];
    const scheduler = new DrainScheduler(async (sleep) => {
      sleeping++;
      const started = Date.now();
      await sleep(60_000);
      slept.push(Date.now() - started);
      return slept.length;
    });
    const first = scheduler.request();
    await clock.tickAsync(0);
    assert.equal(sleeping, 1, "the first drain waits");
    const second = scheduler.request();
    assert.deepEqual(await settledState(clock, first), { value: 1 });
    await clock.tickAsync(0);
    assert.equal(sleeping, 2, "the follow-up drain waits");
    scheduler.request();
    assert.deepEqual(await settledState(clock, second), { value: 2 });
    assert.deepEqual(slept, [0, 0], "each drain woke at once: no time passed");
  });
});

Deno.test("DrainScheduler never runs two drains at once, even when asked as one ends", async () => {
  let running = 0;
  let most = 0;
  const scheduler = new DrainScheduler(async () => {
    most = Math.max(most, ++running);
    await Promise.resolve();
    running--;
    return most;
  });
  const first = scheduler.request();
  const second = scheduler.request();
  await first;
  const third = scheduler.request();
  await Promise.all([second, third]);
  assert.equal(most, 1);
});

Deno.test("DrainScheduler wakes the running drain on every request, not only the first", async () => {
  await withFakeTime(async (clock) => {
    let sleeps = 0;
    let woken = 0;
    let runs = 0;
    const scheduler = new DrainScheduler(async (sleep) => {
      // The follow-up drain the requests queued finds nothing to wait for.
      if (++runs > 1) return woken;
      for (let i = 0; i < 3; i++) {
        sleeps++;
        const started = Date.now();
        await sleep(60_000);
        if (Date.now() === started) woken++;
      }
      return woken;
    });
    const first = scheduler.request();
    for (let n = 1; n <= 3; n++) {
      await clock.tickAsync(0);
      assert.equal(sleeps, n, `sleep ${n}`);
      scheduler.request();
    }
    assert.deepEqual(await settledState(clock, first), { value: 3 });
    assert.deepEqual(await settledState(clock, scheduler.request()), { value: 3 });
  });
});

Deno.test("DrainScheduler with gathering serves requests made close together with one drain, once they pause", async () => {
  await withFakeTime(async (clock) => {
    let runs = 0;
    const scheduler = new DrainScheduler(() => Promise.resolve(++runs), {
      quietMs: 20,
      maxMs: 5_000,
    });
    const requests = [scheduler.request(), scheduler.request(), scheduler.request()];
    await clock.tickAsync(19);
    assert.equal(runs, 0, "nothing starts while requests may still come");
    await clock.tickAsync(1);
    assert.deepEqual(await Promise.all(requests), [1, 1, 1]);
    const later = scheduler.request();
    await clock.tickAsync(20);
    assert.equal(await later, 2, "a later request gets a drain of its own");
  });
});

Deno.test("DrainScheduler with gathering still drains during a steady stream of requests", async () => {
  await withFakeTime(async (clock) => {
    let runs = 0;
    // The stream never pauses for quietMs: only maxMs can start a drain while it lasts.
    const scheduler = new DrainScheduler(() => Promise.resolve(++runs), {
      quietMs: 60_000,
      maxMs: 20,
    });
    const first = scheduler.request();
    const stream = setInterval(() => scheduler.request(), 5);
    try {
      // At 20 ms the first request's wait is over (a request of the stream at 20 ms sets the
      // timer anew, due at once): the drain starts, though requests keep coming.
      await clock.tickAsync(21);
      assert.deepEqual(await settledState(clock, first), { value: 1 });
      await clock.tickAsync(30);
      assert.ok(runs >= 2, `a second drain during the stream (${runs})`);
    } finally {
      clearInterval(stream);
    }
  });
});
