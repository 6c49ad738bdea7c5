/**
 * The dashboard's views over a seeded mix of outcomes. Each test seeds inside a transaction
 * that starts from an empty outbox and is rolled back, so the numbers are exactly the seed's
 * (other tests' messages are neither seen nor touched).
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";
import { newLead } from "../support/fixtures.ts";

await requireStack();

async function inRolledBack(
  sql: postgres.Sql,
  fn: (tx: postgres.TransactionSql) => Promise<void>,
): Promise<void> {
  await inRollback(sql, async (tx) => {
    await tx`delete from public.notifications_outbox`;
    await fn(tx);
  });
}

/** A test over seeded rows, in a transaction rolled back when it ends. */
function seededTest(name: string, fn: (tx: postgres.TransactionSql) => Promise<void>) {
  Deno.test(name, async () => {
    const sql = connect();
    try {
      await inRolledBack(sql, fn);
    } finally {
      await sql.end();
    }
  });
}

/** A lead that came in `minutesAgo` (its webhook never leaves: the transaction rolls back). */
async function seedLead(tx: postgres.TransactionSql, minutesAgo: number) {
  const lead = newLead();
  const [row] = await tx<{ id: string; reference_number: string }[]>`
    insert into public.leads ${tx(lead)} returning id, reference_number`;
  await tx`update public.leads set created_at = now() - make_interval(mins => ${minutesAgo})
           where id = ${row.id}`;
  return { ...row, phone: lead.phone_e164!, email: lead.email! };
}

interface Seed {
  template: string;
  channel: "email" | "sms";
  status: string;
  reason?: string;
  delivery?: string;
  /** Seconds after the lead that the provider accepted it. */
  sentAfter?: number;
  createdMinutesAgo?: number;
  nextAttemptInMinutes?: number;
}

let seq = 0;
async function seedMessages(
  tx: postgres.TransactionSql,
  lead: { id: string; phone: string; email: string },
  seeds: Seed[],
) {
  for (const s of seeds) {
    await tx`
      insert into public.notifications_outbox
        (key, lead_id, channel, template, recipient, status, status_reason, delivery_status,
         sent_at, created_at, next_attempt_at, attempts)
      select ${`seed:${lead.id}:${seq++}`}, l.id, ${s.channel}, ${s.template},
        ${s.channel === "sms" ? lead.phone : lead.email}, ${s.status}, ${s.reason ?? null},
        ${s.delivery ?? null},
        case when ${s.sentAfter ?? null}::numeric is null then null
          else l.created_at + make_interval(secs => ${s.sentAfter ?? 0}) end,
        now() - make_interval(mins => ${s.createdMinutesAgo ?? 0}),
        now() + make_interval(mins => ${s.nextAttemptInMinutes ?? 0}),
        ${s.status === "pending" ? 0 : 1}
      from public.leads l where l.id = ${lead.id}`;
  }
}

const email = "customer_confirmation_email";
const sms = "initial_confirmation_sms";

seededTest(
  "notification metrics count a seeded mix of outcomes exactly, per channel and kind",
  async (tx) => {
    const lead = await seedLead(tx, 30);
    await seedMessages(tx, lead, [
      { template: email, channel: "email", status: "sent", delivery: "delivered", sentAfter: 2 },
      { template: email, channel: "email", status: "sent", delivery: "delivered", sentAfter: 4 },
      { template: email, channel: "email", status: "sent", delivery: "bounced", sentAfter: 10 },
      { template: email, channel: "email", status: "dead" },
      { template: email, channel: "email", status: "suppressed", reason: "email_bounced" },
      {
        template: "staff_new_lead_email",
        channel: "email",
        status: "sent",
        delivery: "complained",
        sentAfter: 6,
      },
      { template: sms, channel: "sms", status: "sent", delivery: "delivered", sentAfter: 1 },
      { template: sms, channel: "sms", status: "sent", delivery: "undelivered", sentAfter: 3 },
      { template: sms, channel: "sms", status: "suppressed", reason: "opted_out" },
      { template: sms, channel: "sms", status: "suppressed", reason: "opted_out" },
      {
        template: sms,
        channel: "sms",
        status: "suppressed",
        reason: "no_sms_consent_on_this_lead",
      },
      {
        template: sms,
        channel: "sms",
        status: "deferred",
        reason: "quiet_hours",
        nextAttemptInMinutes: 600,
      },
      { template: sms, channel: "sms", status: "pending" },
      // Planned more than 24 hours ago: outside the window.
      { template: sms, channel: "sms", status: "sent", sentAfter: 1, createdMinutesAgo: 1500 },
    ]);
    const rows = await tx`select * from public.notification_metrics_24h`;
    const get = (channel: string, kind: string) => {
      const row = rows.find((r) => r.channel === channel && r.message_kind === kind);
      assert.ok(row, `${channel}/${kind} row`);
      return {
        planned: Number(row.planned),
        sent: Number(row.sent),
        failed: Number(row.failed),
        suppressed: Number(row.suppressed),
        by_reason: row.suppressed_by_reason,
        deferred: Number(row.deferred),
        in_flight: Number(row.in_flight),
        delivered: Number(row.delivered),
        bounced: Number(row.bounced),
        complained: Number(row.complained),
        undelivered: Number(row.undelivered),
        settled: Number(row.settled),
        success: row.success_rate_pct === null ? null : Number(row.success_rate_pct),
        p50: row.p50_seconds_to_provider === null ? null : Number(row.p50_seconds_to_provider),
        p95: row.p95_seconds_to_provider === null ? null : Number(row.p95_seconds_to_provider),
        max: row.max_seconds_to_provider === null ? null : Number(row.max_seconds_to_provider),
      };
    };
    assert.deepEqual(get("email", email), {
      planned: 5,
      sent: 3,
      failed: 1,
      suppressed: 1,
      by_reason: { email_bounced: 1 },
      deferred: 0,
      in_flight: 0,
      delivered: 2,
      bounced: 1,
      complained: 0,
      undelivered: 0,
      settled: 4,
      // Delivered twice, of 2 delivered + 1 bounced + 1 dead.
      success: 50,
      p50: 4,
      // percentile_cont over 2, 4, 10: 4 + 0.9 × 6.
      p95: 9.4,
      max: 10,
    });
    assert.deepEqual(get("email", "all"), {
      planned: 6,
      sent: 4,
      failed: 1,
      suppressed: 1,
      by_reason: { email_bounced: 1 },
      deferred: 0,
      in_flight: 0,
      delivered: 2,
      bounced: 1,
      complained: 1,
      undelivered: 0,
      settled: 5,
      // The complaint was delivered: 3 of 5.
      success: 60,
      p50: 5,
      // Over 2, 4, 6, 10: 6 + 0.85 × 4.
      p95: 9.4,
      max: 10,
    });
    assert.deepEqual(get("sms", "all"), {
      planned: 7,
      sent: 2,
      failed: 0,
      suppressed: 3,
      by_reason: { no_sms_consent_on_this_lead: 1, opted_out: 2 },
      deferred: 1,
      in_flight: 1,
      delivered: 1,
      bounced: 0,
      complained: 0,
      undelivered: 1,
      settled: 2,
      success: 50,
      p50: 2,
      p95: 2.9,
      max: 3,
    });
    assert.equal(rows.filter((r) => r.message_kind === "all").length, 2, "email and sms only");
  },
);

seededTest(
  "outbox health shows depth per status, the longest wait and the dead letters",
  async (tx) => {
    const lead = await seedLead(tx, 200);
    await seedMessages(tx, lead, [
      { template: email, channel: "email", status: "pending", createdMinutesAgo: 120 },
      { template: email, channel: "email", status: "pending", createdMinutesAgo: 5 },
      { template: email, channel: "email", status: "retry", nextAttemptInMinutes: 2 },
      // Waiting for its hour, which has not come: not in the queue, not waiting.
      {
        template: sms,
        channel: "sms",
        status: "deferred",
        createdMinutesAgo: 180,
        nextAttemptInMinutes: 60,
      },
      { template: sms, channel: "sms", status: "dead" },
      { template: sms, channel: "sms", status: "dead" },
      { template: sms, channel: "sms", status: "sent", sentAfter: 1 },
    ]);
    const [health] = await tx`select * from public.outbox_health`;
    assert.deepEqual(
      {
        pending: Number(health.pending),
        retry: Number(health.retry),
        deferred: Number(health.deferred),
        dead: Number(health.dead_letters),
        queue: Number(health.queue_depth),
        oldest: health.oldest_waiting_seconds,
      },
      { pending: 2, retry: 1, deferred: 1, dead: 2, queue: 3, oldest: 7200 },
    );
    assert.ok(health.oldest_dead_letter_at instanceof Date);
    // A deferred message whose hour came 10 minutes ago has waited those 10 minutes.
    await tx`update public.notifications_outbox set next_attempt_at = now() - interval '10 minutes'
           where status = 'deferred'`;
    await tx`delete from public.notifications_outbox where status = 'pending'`;
    const [later] = await tx`select queue_depth, oldest_waiting_seconds from public.outbox_health`;
    assert.deepEqual([Number(later.queue_depth), later.oldest_waiting_seconds], [2, 600]);
  },
);

seededTest(
  "a lead's timeline lists the lead, its messages and its activities, newest first",
  async (tx) => {
    const lead = await seedLead(tx, 10);
    await seedMessages(tx, lead, [
      { template: email, channel: "email", status: "sent", delivery: "delivered", sentAfter: 2 },
    ]);
    await tx`insert into public.lead_activities
             (lead_id, activity_type, description, created_by, created_at)
           values (${lead.id}, 'call_made', 'Called, left a voicemail', 'Marco',
                   now() + interval '1 second')`;
    const timeline = await tx`
    select entry, what, status, details from public.lead_timeline
    where reference_number = ${lead.reference_number}`;
    assert.deepEqual(timeline.map((e) => `${e.entry}:${e.what}`), [
      "activity:call_made",
      "message:customer_confirmation_email",
      "lead:lead_received",
    ]);
    const message = timeline.find((e) => e.entry === "message")!;
    assert.equal(message.status, "sent");
    assert.equal(message.details.delivery_status, "delivered");
    assert.equal(timeline.find((e) => e.what === "call_made")!.details.created_by, "Marco");
  },
);

seededTest(
  "the compliance audits show consent with its wording, opt-outs, texts and suppressed addresses",
  async (tx) => {
    const lead = await seedLead(tx, 60);
    await tx`insert into public.sms_consent_events
             (phone_e164, event, source, detail, lead_id, created_at)
           values (${lead.phone}, 'opt_out', 'sms_keyword', 'STOP', ${lead.id},
                   now() + interval '1 second')`;
    await seedMessages(tx, lead, [
      { template: sms, channel: "sms", status: "sent", delivery: "delivered", sentAfter: 2 },
      { template: sms, channel: "sms", status: "suppressed", reason: "opted_out" },
      { template: email, channel: "email", status: "sent", delivery: "bounced", sentAfter: 2 },
    ]);
    await tx`insert into public.email_suppressions (address, reason, detail, lead_id)
           values (${lead.email.toLowerCase()}, 'email_bounced', 'Permanent · General', ${lead.id})`;

    const [phone] = await tx`select * from public.sms_compliance_audit where phone = ${lead.phone}`;
    assert.equal(phone.may_text, false);
    assert.ok(phone.last_opt_out_at > phone.last_opt_in_at);
    assert.deepEqual(
      phone.consent_history.map((e: { event: string; source: string }) => `${e.event}/${e.source}`),
      ["opt_in/web_form", "opt_out/sms_keyword"],
    );
    assert.match(phone.consent_history[0].wording, /STOP/, "the wording shown is kept");
    assert.equal(phone.form_consents[0].lead, lead.reference_number);
    assert.equal(phone.form_consents[0].box_ticked, true);
    assert.ok(phone.form_consents[0].wording_version);
    assert.equal(Number(phone.texts_sent), 1);
    assert.deepEqual(
      phone.texts.map((
        t: { status: string; delivery_status?: string; reason?: string },
      ) => [t.status, t.delivery_status ?? t.reason]),
      [["sent", "delivered"], ["suppressed", "opted_out"]],
    );

    const [address] = await tx`
    select * from public.email_compliance_audit where address = ${lead.email.toLowerCase()}`;
    assert.equal(address.suppressed, true);
    assert.equal(address.suppression_reason, "email_bounced");
    assert.equal(address.emails[0].delivery_status, "bounced");
  },
);

const VIEWS = [
  "lead_timeline",
  "notification_metrics_24h",
  "outbox_health",
  "provider_health",
  "sms_compliance_audit",
  "email_compliance_audit",
];

Deno.test("anon and authenticated can read none of the admin views, nor replay", async (t) => {
  const sql = connect();
  try {
    for (const role of ["anon", "authenticated"]) {
      for (const view of [...VIEWS, "replay_dead_letters()"]) {
        await t.step(`${role}: ${view}`, async () => {
          await assert.rejects(
            sql.begin(async (tx) => {
              await tx.unsafe(`set local role ${role}`);
              await tx.unsafe(`select * from public.${view} limit 1`);
            }),
            /permission denied/,
          );
        });
      }
    }
    await t.step("service_role reads them", async () => {
      await inRollback(sql, async (tx) => {
        await tx.unsafe("set local role service_role");
        for (const view of VIEWS) await tx.unsafe(`select * from public.${view} limit 1`);
      });
    });
  } finally {
    await sql.end();
  }
});
