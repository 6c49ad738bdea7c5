import assert from "node:assert/strict";
import { createCallSlots, forEachPooled } from "../../shared/platform/pooled.ts";
import { type FakeClock, settledState, withFakeTime } from "../support/fake_time.ts";

Deno.test("forEachPooled() keeps at most `limit` calls in flight and starts them in order", async () => {
  await withFakeTime(async (clock) => {
    const started: number[] = [];
    let inFlight = 0;
    let most = 0;
    const run = forEachPooled([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    });
    await clock.runAllAsync();
    await run;
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.equal(most, 2);
  });
});

Deno.test("forEachPooled() starts nothing after a failure and rejects once the started calls end", async () => {
  const started: number[] = [];
  const ended: number[] = [];
  let releaseSlow!: () => void;
  const slow = new Promise<void>((r) => releaseSlow = r);
  const run = forEachPooled([1, 2, 3, 4], 2, async (n) => {
    started.push(n);
    if (n === 1) await slow;
    if (n === 2) throw new Error("settle failed");
    ended.push(n);
  });
  // Everything else that could run has run: only call 1 holds the pool open.
  await withFakeTime(async (clock) => {
    assert.equal(
      await settledState(clock, run.catch(() => {})),
      "pending",
      "call 1 is on the wire",
    );
  });
  releaseSlow();
  await assert.rejects(run, /settle failed/);
  assert.deepEqual(started, [1, 2], "3 and 4 never start");
  assert.deepEqual(ended, [1]);
});

Deno.test("createCallSlots() keeps at most `limit` calls in flight across callers, first come first served", async () => {
  await withFakeTime((clock) => slotsInOrder(clock));
});

async function slotsInOrder(clock: FakeClock) {
  const slots = createCallSlots(3);
  const started: string[] = [];
  let inFlight = 0;
  let most = 0;
  const call = (name: string, ms: number) =>
    slots(async () => {
      started.push(name);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return name;
    });
  const first = ["a1", "a2", "a3", "a4"].map((n) => call(n, 5));
  const second = ["b1", "b2"].map((n) => call(n, 1));
  const all = Promise.all([...first, ...second]);
  await clock.runAllAsync();
  assert.deepEqual(await all, ["a1", "a2", "a3", "a4", "b1", "b2"]);
  assert.equal(most, 3);
  assert.deepEqual(started, ["a1", "a2", "a3", "a4", "b1", "b2"]);
}

Deno.test("createCallSlots() frees the slot of a call that fails", async () => {
  const slots = createCallSlots(1);
  await assert.rejects(slots(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await slots(() => Promise.resolve("next")), "next");
});
