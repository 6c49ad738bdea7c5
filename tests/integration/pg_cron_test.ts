/**
 * The one test that pg_cron itself fires a scheduled job (every other job's test runs the job's
 * command directly). It watches the product's own sweep job, scheduled every minute since the
 * stack started, rather than a job of its own: Debian's pg_cron 1.4 schedules whole minutes only,
 * so a new job's first run is up to a minute away, while the sweep has usually run already.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

Deno.test("pg_cron fires the every-minute sweep job on its own and records each run's success", async () => {
  const sql = connect();
  try {
    const [job] = await sql`select jobid, schedule, active from cron.job
      where jobname = 'leadwire-outbox-sweep'`;
    assert.equal(job.schedule, "* * * * *");
    // A run started by pg_cron within the last 70 s (a minute and some slack): one that fired
    // while this stack runs, not a row left from before.
    const run = await waitFor(
      "a run of the sweep job started by pg_cron in the last minute",
      async () =>
        (await sql`select status, return_message from cron.job_run_details
          where jobid = ${job.jobid} and status in ('succeeded', 'failed')
            and start_time > now() - interval '70 seconds'
          order by start_time desc limit 1`)[0],
      { timeoutMs: 75_000, intervalMs: 500 },
    );
    assert.equal(run.status, "succeeded", run.return_message);
  } finally {
    await sql.end();
  }
});
