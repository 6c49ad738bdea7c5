import assert from "node:assert/strict";
import { storageDeletionBackoffMs } from "../../shared/retention/storage_deletions.ts";

Deno.test("storageDeletionBackoffMs() waits a minute after the first failure, doubling, at most a day", async (t) => {
  const minute = 60_000;
  const cases: Array<[attempts: number, waitMs: number]> = [
    [0, minute],
    [1, minute],
    [2, 2 * minute],
    [3, 4 * minute],
    [11, 1024 * minute],
    [12, 24 * 60 * minute],
    [50, 24 * 60 * minute],
  ];
  for (const [attempts, waitMs] of cases) {
    await t.step(`after ${attempts} attempts: ${waitMs / minute} min`, () => {
      assert.equal(storageDeletionBackoffMs(attempts), waitMs);
    });
  }
});
