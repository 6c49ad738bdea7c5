import assert from "node:assert/strict";
import { BackgroundTasks, sleep } from "../../supabase/local/fakes/background.ts";

Deno.test("a fake's sleeps end on time, or all at once when the fakes stop", async (t) => {
  await t.step("a sleep resolves after its time", async () => {
    const controller = new AbortController();
    const started = performance.now();
    await sleep(20, controller.signal);
    assert.ok(performance.now() - started >= 19);
  });
  await t.step("thousands waiting on one signal are all cancelled by its abort", async () => {
    const controller = new AbortController();
    const sleeps = Array.from({ length: 5_000 }, () => sleep(60_000, controller.signal));
    controller.abort(new Error("stopping"));
    const results = await Promise.allSettled(sleeps);
    assert.equal(results.filter((r) => r.status === "rejected").length, 5_000);
  });
  await t.step("a signal already aborted refuses a new sleep", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await assert.rejects(() => sleep(10, controller.signal), /stopped/);
  });
  await t.step("stop() cancels the tasks still waiting and leaves no timer behind", async () => {
    const tasks = new BackgroundTasks();
    let finished = 0;
    for (let i = 0; i < 100; i++) {
      tasks.run(async (signal) => {
        await sleep(60_000, signal);
        finished++;
      }, (err) => {
        throw err;
      });
    }
    await tasks.stop();
    assert.equal(finished, 0);
  });
});
