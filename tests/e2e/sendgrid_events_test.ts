/**
 * SendGrid's Signed Event Webhook through sendgrid-events: the fake SendGrid posts each email's
 * events, ECDSA-signed, as SendGrid does. Email goes through SendGrid only while Resend's
 * circuit is open, so each test opens it and puts it back (withResendCircuit).
 */
import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import {
  failOverToSendGrid,
  sendGridEmailsTo,
  withResendCircuit,
} from "../support/email_failover.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;
const EVENTS_URL = `${stack.functionsUrl}/sendgrid-events`;

async function customerEmailRow(sql: Sql, leadId: string) {
  const [row] = await sql<
    { id: string; provider: string | null; delivery_status: string | null }[]
  >`
    select id::text, provider, delivery_status from public.notifications_outbox
    where key = ${leadId + ":customer_confirmation_email"}`;
  return row;
}

async function eventsOf(sql: Sql, outboxId: string) {
  return await sql<{ event_type: string; payload: Record<string, unknown> }[]>`
    select event_type, payload from public.sendgrid_events where outbox_id = ${outboxId}
    order by received_at`;
}

/** Activities of one type about the lead's customer confirmation (its staff alert has its own). */
async function activities(sql: Sql, leadId: string, type: string) {
  const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.lead_activities
    where lead_id = ${leadId} and activity_type = ${type}
      and metadata ->> 'outbox_key' = ${leadId + ":customer_confirmation_email"}`;
  return n;
}

Deno.test("SendGrid's signed events are recorded once, and unsigned or tampered ones get 401", async () => {
  const sql = connect();
  try {
    await withResendCircuit(sql, async () => {
      await failOverToSendGrid(sql);
      const lead = await insertLead(sql, { sms_consent: false });
      const row = await waitFor("the email delivered through SendGrid", async () => {
        const r = await customerEmailRow(sql, lead.id);
        return r?.delivery_status === "delivered" ? r : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(row.provider, "sendgrid");
      const kept = await waitFor("both events kept", async () => {
        const e = await eventsOf(sql, row.id);
        return e.length === 2 ? e : undefined;
      });
      assert.deepEqual(kept.map((e) => e.event_type), ["processed", "delivered"]);
      assert.doesNotMatch(JSON.stringify(kept), /@/, "no address is kept");
      assert.equal(await activities(sql, lead.id, "email_delivered"), 1);

      const [sent] = await sendGridEmailsTo(lead.email!);
      const delivered = sent.event_posts.find((p) => p.body.includes('"delivered"'))!;
      assert.equal(delivered.answer, 200);
      const replay = await fetch(EVENTS_URL, {
        method: "POST",
        headers: delivered.headers,
        body: delivered.body,
      });
      assert.equal(replay.status, 200);
      assert.deepEqual((await replay.json()).results, { duplicate: 1 });

      const tampered = await fetch(EVENTS_URL, {
        method: "POST",
        headers: delivered.headers,
        body: delivered.body.replace('"delivered"', '"spamreport"').replace(
          /"sg_event_id":"[^"]+"/,
          '"sg_event_id":"forged"',
        ),
      });
      assert.equal(tampered.status, 401);
      assert.match((await tampered.json()).error, /No matching signature/);
      const unsigned = await fetch(EVENTS_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: delivered.body,
      });
      assert.equal(unsigned.status, 401);
      assert.match((await unsigned.json()).error, /Missing/);

      assert.equal((await eventsOf(sql, row.id)).length, 2, "recorded once");
      assert.equal(await activities(sql, lead.id, "email_delivered"), 1, "one activity");
      assert.equal(await activities(sql, lead.id, "email_complained"), 0);
      assert.equal((await customerEmailRow(sql, lead.id)).delivery_status, "delivered");
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a hard bounce reported by SendGrid puts the address on email_suppressions, as Resend's does", async () => {
  const sql = connect();
  const email = `bounced+${crypto.randomUUID().slice(0, 8)}@example.com`;
  try {
    await withResendCircuit(sql, async () => {
      await failOverToSendGrid(sql);
      const lead = await insertLead(sql, { email, sms_consent: false });
      const suppression = await waitFor("the address suppressed", async () => {
        const [s] = await sql<{ reason: string; detail: string | null; resend_email_id: string }[]>`
          select reason, detail, resend_email_id from public.email_suppressions
          where address = ${email}`;
        return s;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(suppression.reason, "email_bounced");
      assert.match(suppression.detail ?? "", /5\.1\.1/);
      const [sent] = await sendGridEmailsTo(email);
      assert.equal(suppression.resend_email_id, sent.message_id);
      assert.equal((await customerEmailRow(sql, lead.id)).delivery_status, "bounced");
      assert.equal(await activities(sql, lead.id, "email_bounced"), 1);
    });
  } finally {
    await sql`delete from public.email_suppressions where address = ${email}`;
    await sql.end();
  }
});
