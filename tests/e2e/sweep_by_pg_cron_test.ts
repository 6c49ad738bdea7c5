import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

Deno.test("pg_cron calls notify-lead's sweep every minute, authenticated from Vault", async () => {
  const sql = connect();
  try {
    const [job] =
      await sql`select jobid, schedule, command from cron.job where jobname = 'leadwire-outbox-sweep'`;
    assert.equal(job.schedule, "* * * * *");
    const [{ since }] = await sql`select now() as since`;
    // Debian's pg_cron runs whole minutes only, so the next run is at most a minute away.
    const run = await waitFor(
      "the sweep job to run",
      async () =>
        (await sql`select status, return_message from cron.job_run_details
                 where jobid = ${job.jobid} and start_time >= ${since} and status in ('succeeded', 'failed')`)[
          0
        ],
      { timeoutMs: 75_000, intervalMs: 500 },
    );
    assert.equal(run.status, "succeeded", run.return_message);
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
