import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

Deno.test("a pg_cron job scheduled every minute runs and records success", async () => {
  const sql = connect();
  const name = `test_tick_${crypto.randomUUID().slice(0, 8)}`;
  try {
    await sql`create table if not exists public.test_cron_ticks (job text, at timestamptz default now())`;
    const [{ jobid }] = await sql`
      select cron.schedule(${name}, '* * * * *', ${`insert into public.test_cron_ticks (job) values ('${name}')`}) as jobid`;
    // Debian's pg_cron 1.4 schedules whole minutes only: the first run is at the next minute.
    const run = await waitFor(
      "the job's first run",
      async () =>
        (await sql`select status from cron.job_run_details where jobid = ${jobid} and status in ('succeeded', 'failed')`)[
          0
        ],
      { timeoutMs: 75_000, intervalMs: 500 },
    );
    assert.equal(run.status, "succeeded");
    const ticks = await sql`select 1 from public.test_cron_ticks where job = ${name}`;
    assert.ok(ticks.length >= 1);
  } finally {
    await sql`select cron.unschedule(jobname) from cron.job where jobname = ${name}`;
    await sql`drop table if exists public.test_cron_ticks`;
    await sql.end();
  }
});
