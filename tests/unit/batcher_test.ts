import assert from "node:assert/strict";
import { createBatcher } from "../../shared/platform/batcher.ts";

Deno.test("createBatcher() runs a lone call at once and gathers calls that arrive meanwhile, up to max", async () => {
  const batches: string[][] = [];
  let release!: () => void;
  const firstHeld = new Promise<void>((r) => release = r);
  const call = createBatcher(async (keys: string[]) => {
    batches.push(keys);
    if (batches.length === 1) await firstHeld;
    return new Map(keys.filter((k) => k !== "missing").map((k) => [k, k.toUpperCase()]));
  }, { max: 3 });

  const first = call("a");
  const later = ["b", "c", "b", "d", "missing"].map(call);
  release();
  assert.equal(await first, "A");
  assert.deepEqual(await Promise.all(later), ["B", "C", "B", "D", undefined]);
  assert.deepEqual(
    batches,
    [["a"], ["b", "c"], ["d", "missing"]],
    "max 3 calls, keys deduplicated",
  );
});

Deno.test("createBatcher() fails every call of a failed batch, and the next batch still runs", async () => {
  let calls = 0;
  const call = createBatcher((keys: number[]) => {
    calls++;
    return calls === 1
      ? Promise.reject(new Error("database restarted"))
      : Promise.resolve(new Map(keys.map((k) => [k, k * 2])));
  }, { max: 10 });
  await assert.rejects(call(1), /database restarted/);
  assert.equal(await call(2), 4);
});
