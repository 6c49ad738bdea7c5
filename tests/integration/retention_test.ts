/**
 * Retention: purge_expired_personal_data() removes a lead quiet for longer than
 * business_settings.retention_months with everything it produced, keeps the phone's opt-out,
 * logs each run, and is scheduled daily by pg_cron; notify-lead's sweep deletes the queued
 * photos through the Storage API.
 *
 * Every purge runs in a transaction that is rolled back, with the real clock: only this
 * file's backdated leads are that old (every other test's leads are fresh), so no other
 * test's rows are touched and nothing needs putting back.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { inRollback } from "../support/rollback.ts";
import { postToNotifyLead } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";
import { createStorageClient } from "../../shared/providers/storage_client.ts";

await requireStack();

interface Made {
  leadId: string;
  phone: string;
  outboxIds: string[];
  svixId: string;
  messageSid: string;
  objectPath: string;
}

/**
 * A lead whose every trace (activities, outbox rows and attempts, a Resend event, an
 * appointment, a STOP text, a photo) dates from `age` ago, as an SQL interval.
 */
async function makeQuietLead(tx: postgres.TransactionSql, age: string): Promise<Made> {
  const lead = await insertLead(tx as unknown as postgres.Sql, { sms_consent: true });
  const [{ at }] = await tx<{ at: Date }[]>`select now() - ${age}::interval as at`;
  // Timestamps the database sets itself (updated_at on every update) are set by hand here.
  await tx`set local session_replication_role = replica`;
  await tx`update public.leads set created_at = ${at}, updated_at = ${at} where id = ${lead.id}`;
  await tx`update public.sms_consent_events set created_at = ${at} where lead_id = ${lead.id}`;
  await tx`set local session_replication_role = origin`;
  await tx`insert into public.lead_activities (lead_id, activity_type, description, created_at)
    values (${lead.id}, 'call_made', 'Called back', ${at})`;
  const outbox = await tx<{ id: string }[]>`
    insert into public.notifications_outbox
      (key, lead_id, channel, template, recipient, status, created_at, updated_at, sent_at)
    values
      (${`${lead.id}:retention_email`}, ${lead.id}, 'email', 'customer_confirmation_email',
       ${lead.email}, 'sent', ${at}, ${at}, ${at}),
      (${`${lead.id}:retention_sms`}, ${lead.id}, 'sms', 'opt_out_confirmation_sms',
       ${lead.phone_e164}, 'sent', ${at}, ${at}, ${at})
    returning id`;
  const outboxIds = outbox.map((r) => String(r.id));
  for (const id of outboxIds) {
    await tx`insert into public.notification_attempts (outbox_id, attempt, outcome, created_at)
      values (${id}, 1, 'sent', ${at})`;
  }
  const svixId = `msg_${crypto.randomUUID()}`;
  await tx`insert into public.resend_events (svix_id, event_type, outbox_id, payload, received_at)
    values (${svixId}, 'email.delivered', ${outboxIds[0]},
            ${tx.json({ to: [lead.email] })}, ${at})`;
  await tx`insert into public.appointments
      (lead_id, starts_at, ends_at, time_window, time_zone, technician_name, service_address,
       changed_at, created_at, updated_at)
    values (${lead.id}, ${at}, ${at}::timestamptz + interval '2 hours', '9-11 am', 'America/Denver',
            'Ava Chen', '1500 Blake St', ${at}, ${at}, ${at})`;
  const messageSid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
  await tx`insert into public.sms_inbound_messages
      (message_sid, from_phone, body, intent, lead_id, received_at)
    values (${messageSid}, ${lead.phone_e164}, 'STOP', 'opt_out', ${lead.id}, ${at})`;
  await tx`insert into public.sms_consent_events (phone_e164, event, source, detail, lead_id, created_at)
    values (${lead.phone_e164}, 'opt_out', 'sms_keyword', 'STOP', ${lead.id}, ${at}::timestamptz + interval '1 minute')`;
  const objectPath = `${lead.id}/windshield.jpg`;
  await tx`insert into public.media (lead_id, object_path, content_type, created_at)
    values (${lead.id}, ${objectPath}, 'image/jpeg', ${at})`;
  return {
    leadId: lead.id,
    phone: lead.phone_e164!,
    outboxIds,
    svixId,
    messageSid,
    objectPath,
  };
}

/** How many rows of each kind the lead still has. */
async function traces(tx: postgres.TransactionSql, made: Made) {
  const [row] = await tx`
    select
      (select count(*)::int from public.leads where id = ${made.leadId}) as leads,
      (select count(*)::int from public.lead_activities where lead_id = ${made.leadId}) as lead_activities,
      (select count(*)::int from public.notifications_outbox
        where id = any (${tx.array(made.outboxIds)}::bigint[])) as notifications_outbox,
      (select count(*)::int from public.notification_attempts
        where outbox_id = any (${tx.array(made.outboxIds)}::bigint[])) as notification_attempts,
      (select count(*)::int from public.resend_events where svix_id = ${made.svixId}) as resend_events,
      (select count(*)::int from public.appointments where lead_id = ${made.leadId}) as appointments,
      (select count(*)::int from public.sms_inbound_messages
        where message_sid = ${made.messageSid}) as sms_inbound_messages,
      (select count(*)::int from public.media where lead_id = ${made.leadId}) as media,
      (select count(*)::int from public.storage_deletions
        where bucket = 'lead-photos' and object_path = ${made.objectPath}) as storage_deletions`;
  return { ...row };
}

const everything = {
  leads: 1,
  lead_activities: 1,
  notifications_outbox: 2,
  notification_attempts: 2,
  resend_events: 1,
  appointments: 1,
  sms_inbound_messages: 1,
  media: 1,
  storage_deletions: 0,
};

async function purge(tx: postgres.TransactionSql) {
  const [{ summary }] = await tx`select public.purge_expired_personal_data() as summary`;
  return summary as {
    run_id: number;
    retention_months: number;
    cutoff: string;
    deleted: Record<string, number>;
  };
}

Deno.test("purge_expired_personal_data() removes a lead quiet for 3 years with all it produced, keeps its phone opted out, and leaves a 17-month-old lead alone", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const old = await makeQuietLead(tx, "3 years");
      const young = await makeQuietLead(tx, "17 months");
      assert.deepEqual(await traces(tx, old), everything);

      const summary = await purge(tx);

      assert.deepEqual(await traces(tx, old), {
        leads: 0,
        lead_activities: 0,
        notifications_outbox: 0,
        notification_attempts: 0,
        resend_events: 0,
        appointments: 0,
        sms_inbound_messages: 0,
        media: 0,
        storage_deletions: 1,
      });
      assert.deepEqual(await traces(tx, young), everything);
      // The ledger keeps the phone's STOP (without the lead): the phone stays opted out.
      const events = await tx`select event, lead_id from public.sms_consent_events
        where phone_e164 = ${old.phone} order by created_at, id`;
      assert.deepEqual(events.map((e) => ({ ...e })), [
        { event: "opt_in", lead_id: null },
        { event: "opt_out", lead_id: null },
      ]);
      const [status] = await tx`select may_text from public.sms_consent_status
        where phone_e164 = ${old.phone}`;
      assert.equal(status.may_text, false);

      assert.equal(summary.retention_months, 18);
      for (
        const table of [
          "leads",
          "notification_attempts",
          "notifications_outbox",
          "resend_events",
          "lead_activities",
          "appointments",
          "sms_inbound_messages",
          "media",
          "storage_deletions_queued",
        ]
      ) {
        assert.ok(summary.deleted[table] >= 1, `${table}: ${summary.deleted[table]}`);
      }
      assert.ok(summary.deleted.sms_consent_events_unlinked >= 2);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a lead's last activity, not its age, starts the retention period: an old lead texted last week is kept", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const revived = await makeQuietLead(tx, "3 years");
      await tx`insert into public.sms_inbound_messages
          (message_sid, from_phone, body, intent, lead_id, received_at)
        values (${`SM${crypto.randomUUID().replaceAll("-", "")}`}, ${revived.phone},
                'Still need that windshield', 'reply', ${revived.leadId}, now() - interval '7 days')`;
      const [{ at }] = await tx`select public.lead_last_activity_at(${revived.leadId}) as at`;
      assert.ok(Date.now() - at.getTime() < 8 * 24 * 3600_000);
      await purge(tx);
      assert.deepEqual(await traces(tx, revived), everything);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("business_settings.retention_months sets the period: at 12 months a 17-month-old lead goes; 0 is refused", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const lead = await makeQuietLead(tx, "17 months");
      await tx`update public.business_settings set retention_months = 12`;
      const summary = await purge(tx);
      assert.equal(summary.retention_months, 12);
      assert.equal((await traces(tx, lead)).leads, 0);
    });
    await assert.rejects(
      inRollback(sql, (tx) => tx`update public.business_settings set retention_months = 0`),
      /retention_months_is_sensible/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("each purge logs one row to retention_purges with its counts and times, the same summary it returns", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      await makeQuietLead(tx, "3 years");
      const [{ last }] = await tx`select coalesce(max(id), 0) as last from public.retention_purges`;
      const first = await purge(tx);
      const second = await purge(tx);
      const rows = await tx`select * from public.retention_purges where id > ${last} order by id`;
      assert.deepEqual(rows.map((r) => Number(r.id)), [first.run_id, second.run_id]);
      const [log] = rows;
      assert.deepEqual(log.deleted, first.deleted);
      assert.equal(log.retention_months, 18);
      assert.equal(log.cutoff.toISOString(), new Date(first.cutoff).toISOString());
      assert.ok(log.started_at <= log.finished_at);
      // Months, not days: now() less 18 calendar months.
      const [{ expected }] = await tx`select now() - interval '18 months' as expected`;
      assert.equal(log.cutoff.toISOString(), expected.toISOString());
      assert.ok(first.deleted.leads >= 1);
      assert.equal(second.deleted.leads, 0, "the second run finds nothing left of the lead");
      // Counts only: no personal data in the log.
      assert.deepEqual(
        Object.values(log.deleted).filter((v) => typeof v !== "number"),
        [],
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("pg_cron runs the purge daily", async () => {
  const sql = connect();
  try {
    const jobs = await sql`select schedule, command, active from cron.job
      where jobname = 'leadwire-retention-purge'`;
    assert.deepEqual(jobs.map((j) => ({ ...j })), [{
      schedule: "17 3 * * *",
      command: "select public.purge_expired_personal_data()",
      active: true,
    }]);
  } finally {
    await sql.end();
  }
});

Deno.test("anon and authenticated cannot run the purge or read its log; the service role can run it", async (t) => {
  const sql = connect();
  try {
    for (const role of ["anon", "authenticated"]) {
      await t.step(role, async () => {
        for (
          const statement of [
            "select public.purge_expired_personal_data()",
            "select public.lead_last_activity_at(gen_random_uuid())",
            "select * from public.retention_purges",
            "select * from public.storage_deletions",
          ]
        ) {
          await assert.rejects(
            inRollback(sql, async (tx) => {
              await tx.unsafe(`set local role ${role}`);
              await tx.unsafe(statement);
            }),
            /permission denied/,
            `${role}: ${statement}`,
          );
        }
      });
    }
    await t.step("service_role", async () => {
      const summary = await inRollback(sql, async (tx) => {
        await tx`set local role service_role`;
        return await purge(tx);
      });
      assert.equal(typeof summary.run_id, "number");
    });
  } finally {
    await sql.end();
  }
});

Deno.test("notify-lead's sweep deletes a queued photo through the Storage API and empties the queue", async () => {
  const sql = connect();
  const storage = createStorageClient({
    supabaseUrl: stack.apiUrl,
    serviceRoleKey: stack.serviceRoleKey,
  });
  const path = `retention-test/${crypto.randomUUID()}/windshield.jpg`;
  try {
    const uploaded = await storage.from("lead-photos").upload(
      path,
      new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: "image/jpeg" }),
    );
    assert.equal(uploaded.error, null);
    await sql`insert into public.storage_deletions (bucket, object_path)
      values ('lead-photos', ${path})`;

    const res = await postToNotifyLead("notify-lead/sweep", JSON.stringify({ wait: false }));
    const answer = await res.text();
    assert.equal(res.status, 200, answer);

    await waitFor(
      "the queued photo to leave the queue",
      async () =>
        (await sql`select 1 from public.storage_deletions
        where bucket = 'lead-photos' and object_path = ${path}`).length === 0,
    );
    const download = await storage.from("lead-photos").download(path);
    assert.notEqual(download.error, null, "the photo is gone from Storage");
  } finally {
    await sql`delete from public.storage_deletions where bucket = 'lead-photos' and object_path = ${path}`;
    await storage.from("lead-photos").remove([path]);
    await sql.end();
  }
});
