/**
 * The functions' pools (shared/platform/db.ts) against the real database: a pool whose
 * connections the server closed must answer again well within a drain's lease.
 */
import assert from "node:assert/strict";
import { db } from "../../shared/platform/db.ts";
import { waitFor } from "../support/wait_for.ts";
import { whileDatabaseAway } from "../../shared/platform/db_retry.ts";
import { connect, requireStack, stack } from "../support/stack.ts";

await requireStack();

Deno.test("a pool whose connections the server closed answers again within a lease (15 s), round after round: it is replaced, not reconnected for ever", async () => {
  const admin = connect({ max: 1 });
  const sql = db(stack.dbUrl, { purpose: `pool-test-${crypto.randomUUID()}`, max: 5 });
  try {
    for (let round = 0; round < 4; round++) {
      const pids = await Promise.all(
        [1, 2, 3, 4, 5].map(async () =>
          (await sql`select pg_backend_pid() as pid, pg_sleep(0.05)`)[0].pid as number
        ),
      );
      await admin`select pg_terminate_backend(pid) from pg_stat_activity
        where pid = any(${[...new Set(pids)]})`;
      const answers = await Promise.all(
        [1, 2, 3, 4, 5].map(() =>
          whileDatabaseAway(async () => (await sql`select 1 as one`)[0].one, {
            deadline: Date.now() + 15_000,
            baseDelayMs: 50,
          })
        ),
      );
      assert.deepEqual(answers, [1, 1, 1, 1, 1], `round ${round}`);
    }
  } finally {
    await sql.end({ timeout: 1 });
    await admin.end();
  }
});

Deno.test("a worker retired at rest (early_drop) ends its pools' connections before it ends, and a late request connects afresh", async () => {
  const admin = connect({ max: 1 });
  const sql = db(stack.dbUrl, { purpose: `retire-test-${crypto.randomUUID()}`, max: 3 });
  try {
    const pids = [
      ...new Set(
        await Promise.all(
          [1, 2, 3].map(async () =>
            (await sql`select pg_backend_pid() as pid, pg_sleep(0.05)`)[0].pid as number
          ),
        ),
      ),
    ];
    const open = async () =>
      (await admin`select count(*)::int as n from pg_stat_activity where pid = any(${pids})`)[0]
        .n as number;
    assert.equal(await open(), pids.length, "the pool's connections are open");
    globalThis.dispatchEvent(
      new CustomEvent("beforeunload", { cancelable: true, detail: { reason: "early_drop" } }),
    );
    await waitFor("the retired worker's connections to end", async () => (await open()) === 0);
    const [{ pid }] = await sql`select pg_backend_pid() as pid`;
    assert.ok(!pids.includes(pid), "a request after the retirement gets a new connection");
  } finally {
    await sql.end({ timeout: 1 });
    await admin.end();
  }
});
