import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

Deno.test("pg_cron's sweep job, every minute, calls notify-lead's sweep authenticated from Vault", async () => {
  const sql = connect();
  try {
    const [job] =
      await sql`select schedule, command from cron.job where jobname = 'leadwire-outbox-sweep'`;
    assert.equal(job.schedule, "* * * * *");
    const [{ since }] = await sql`select now() as since`;
    // What pg_cron runs each minute, run now: that pg_cron fires a scheduled job at all is
    // pg_cron_test's to show, without every job's test waiting for the next whole minute.
    await sql.unsafe(job.command);
    const response = await waitFor(
      "the sweep's answer",
      async () =>
        (await sql`select status_code, content from net._http_response
                 where created >= ${since} and content like '%dead_lettered%' order by created desc limit 1`)[
          0
        ],
      { timeoutMs: 30_000 },
    );
    assert.equal(response.status_code, 200);
    assert.deepEqual(Object.keys(JSON.parse(response.content)).sort(), [
      "alerts_planned",
      "appointments_planned",
      "dead_lettered",
      "draining",
      "leads_escalated",
      "leads_planned",
      "messages_planned",
      "storage_objects_deleted",
    ]);
  } finally {
    await sql.end();
  }
});
