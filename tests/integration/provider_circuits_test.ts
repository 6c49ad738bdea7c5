/**
 * Resend's circuit in the database (provider_circuits): the state every worker reads before
 * calling Resend. Each test runs in a transaction that is rolled back, so the stack's circuit
 * is never touched.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";

await requireStack();

async function allows(tx: postgres.TransactionSql): Promise<boolean> {
  const [{ allowed }] = await tx`select public.provider_circuit_allows('resend') as allowed`;
  return allowed;
}

async function record(tx: postgres.TransactionSql, answered: boolean): Promise<string> {
  const [{ state }] = await tx`
    select public.record_provider_call('resend', ${answered}, ${
    answered ? null : "HTTP 500"
  }) as state`;
  return state;
}

async function cooledDown(tx: postgres.TransactionSql) {
  await tx`update public.provider_circuits set probe_at = now() - interval '1 second'
           where provider = 'resend'`;
}

Deno.test("Resend's circuit opens at the third failure in a row, lets one probe through after the cool-down, and closes when Resend answers", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      await tx`update public.provider_circuits
               set state = 'closed', failures_in_a_row = 0, failure_threshold = 3,
                   cool_down_seconds = 30, opened_at = null, probe_at = null, probe_until = null
               where provider = 'resend'`;
      assert.equal(await allows(tx), true);
      assert.equal(await record(tx, false), "closed");
      assert.equal(await record(tx, true), "closed", "an answer in between starts the count again");
      assert.equal(await record(tx, false), "closed");
      assert.equal(await record(tx, false), "closed");
      assert.equal(await record(tx, false), "open");
      const [opened] = await tx`
        select state, failures_in_a_row, opened_at, probe_at - now() as cool_down, last_failure
        from public.provider_circuits where provider = 'resend'`;
      assert.equal(opened.failures_in_a_row, 3);
      assert.equal(opened.cool_down, "00:00:30");
      assert.equal(opened.last_failure, "HTTP 500");
      assert.equal(await allows(tx), false, "open: nobody calls Resend during the cool-down");

      await cooledDown(tx);
      assert.equal(await allows(tx), true, "the first caller after the cool-down probes");
      assert.equal(await allows(tx), false, "one probe at a time");
      const [probing] =
        await tx`select state from public.provider_circuits where provider = 'resend'`;
      assert.equal(probing.state, "half_open");
      assert.equal(await record(tx, false), "open", "a failed probe opens it again");
      assert.equal(await allows(tx), false, "for another cool-down");

      await cooledDown(tx);
      assert.equal(await allows(tx), true);
      assert.equal(await record(tx, true), "closed", "Resend answered the probe");
      const [closed] = await tx`
        select state, failures_in_a_row, opened_at, probe_at from public.provider_circuits
        where provider = 'resend'`;
      assert.deepEqual(
        { ...closed },
        { state: "closed", failures_in_a_row: 0, opened_at: null, probe_at: null },
      );
      assert.equal(await allows(tx), true);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a probe whose sender died frees the next one once its 15 s lease has passed", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      await tx`update public.provider_circuits
               set state = 'half_open', opened_at = now() - interval '1 minute',
                   probe_at = now() - interval '20 seconds',
                   probe_until = now() - interval '1 second'
               where provider = 'resend'`;
      assert.equal(await allows(tx), true);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("provider_health has a row for SendGrid and shows Resend's circuit", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      await tx`update public.provider_circuits
               set state = 'open', opened_at = now(), probe_at = now() + interval '30 seconds'
               where provider = 'resend'`;
      const rows = await tx`
        select provider, channel, circuit, circuit_opened_at is not null as opened
        from public.provider_health order by provider`;
      assert.deepEqual(rows.map((r) => ({ ...r })), [
        { provider: "resend", channel: "email", circuit: "open", opened: true },
        { provider: "sendgrid", channel: "email", circuit: "closed", opened: false },
        { provider: "twilio", channel: "sms", circuit: "closed", opened: false },
        { provider: "webhooks", channel: "webhook", circuit: "closed", opened: false },
      ]);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a circuit's settings refuse nonsense with the constraint's name", async () => {
  const sql = connect();
  try {
    await assert.rejects(
      inRollback(
        sql,
        (tx) =>
          tx`update public.provider_circuits set cool_down_seconds = 0 where provider = 'resend'`,
      ),
      /provider_circuits_cool_down_seconds_check/,
    );
    await assert.rejects(
      inRollback(
        sql,
        (tx) => tx`update public.provider_circuits set state = 'ajar' where provider = 'resend'`,
      ),
      /provider_circuits_state_check/,
    );
  } finally {
    await sql.end();
  }
});
