/**
 * Exactly once when an answer is lost: the provider accepted a message, but its answer never
 * reached us (a dropped connection, a client timeout). The fakes record every message they
 * accept; each case ends by counting there: one per kind per lead, never two.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { emailsTo, resend, smsTo, switches, twilio } from "../support/fakes.ts";
import {
  notifyLeadConfig,
  outboxOf,
  planAsNotifyLead,
  settledOutbox,
  smsWindowAlwaysOpen,
} from "../support/notify_lead.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";
import { drainDeps } from "../../shared/messages/wiring.ts";
import { addFault } from "../support/shared_state.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;

/** The attempts recorded for one of a lead's messages, oldest first. */
async function attemptsOf(sql: Sql, leadId: string, template: string) {
  return await sql`
    select a.attempt, a.outcome, a.reconciled, a.lease_lost, a.provider_message_id, a.error
    from public.notification_attempts a
    join public.notifications_outbox o on o.id = a.outbox_id
    where o.lead_id = ${leadId} and o.template = ${template}
    order by a.id`;
}

async function staffAlertsFor(reference: string) {
  return (await emailsTo("admin@pinkautoglass.com")).filter((e) => e.html?.includes(reference));
}

Deno.test("Twilio accepts an SMS and the connection drops: it is found in Twilio's list and recorded sent, never texted twice", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const phone = uniquePhone();
    await using _fault = await addFault("twilio", {
      path: "/Messages.json",
      // Its own text only (Twilio's form body carries the To encoded).
      bodyContains: encodeURIComponent(phone),
      times: 1,
      acceptFirst: true,
      drop: true,
    });
    const lead = await insertLead(sql, { phone_e164: phone });
    const outbox = await settledOutbox(sql, lead.id, 3);
    const sms = outbox.initial_confirmation_sms;
    const texts = await smsTo(lead.phone_e164);
    assert.equal(texts.length, 1, "one SMS accepted by Twilio");
    assert.equal(sms.status, "sent");
    assert.equal(sms.provider_message_id, texts[0].sid, "recorded under the SID Twilio gave it");
    assert.deepEqual(
      (await attemptsOf(sql, lead.id, "initial_confirmation_sms")).map((a) => [
        a.outcome,
        a.reconciled,
      ]),
      [["retry", false], ["sent", true]],
    );
    const activities = await sql`
      select count(*)::int as n from public.lead_activities
      where lead_id = ${lead.id} and activity_type = 'sms_sent'`;
    assert.equal(activities[0].n, 1, "one sms_sent on the timeline");
  } finally {
    await sql.end();
  }
});

Deno.test("Twilio answers after the SDK's 10 s timeout: the SMS is looked up, not resent", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const phone = uniquePhone();
    await using _fault = await addFault("twilio", {
      path: "/Messages.json",
      // Its own text only (Twilio's form body carries the To encoded).
      bodyContains: encodeURIComponent(phone),
      times: 1,
      acceptFirst: true,
      delayMs: 11_000,
    });
    const lead = await insertLead(sql, { phone_e164: phone });
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.initial_confirmation_sms.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.attempts, 2);
    assert.equal((await smsTo(lead.phone_e164)).length, 1, "one SMS accepted by Twilio");
    const attempts = await attemptsOf(sql, lead.id, "initial_confirmation_sms");
    assert.equal(attempts.at(-1)!.reconciled, true, "the second attempt only looked it up");
  } finally {
    await sql.end();
  }
});

Deno.test("an SMS in doubt across the shop's opening is looked up with the words it went out with, never texted twice", async () => {
  const sql = connect();
  const deps = drainDeps(notifyLeadConfig(), connect({ max: 2 }));
  // A Monday in Denver: a minute before the shop opens at 8, and just after. The wording of
  // the callback promise differs ("when we open today at 8:00 am" / "within 15 minutes").
  const beforeOpening = new Date("2026-11-30T14:59:30Z");
  const afterOpening = new Date("2026-11-30T15:00:30Z");
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    // Only this test's drains send: no webhook, no sweep.
    await switches.pgNetPaused(true);
    const lead = await insertLead(sql);
    await planAsNotifyLead(sql, lead.id);
    const [{ key }] = await sql`select key from public.notifications_outbox
      where lead_id = ${lead.id} and template = 'initial_confirmation_sms'`;
    await using _fault = await addFault("twilio", {
      path: "/Messages.json",
      bodyContains: encodeURIComponent(lead.phone_e164!),
      times: 1,
      acceptFirst: true,
      drop: true,
    });
    await drainOutbox({ ...deps, clock: () => beforeOpening }, { onlyKeys: [key] });
    const [first] = await smsTo(lead.phone_e164);
    assert.match(first.body, /when we open/);
    // The retry falls due (its delay counts from the database's clock) after the opening.
    await sql`update public.notifications_outbox set next_attempt_at = now() where key = ${key}`;
    await drainOutbox({ ...deps, clock: () => afterOpening }, { onlyKeys: [key] });
    assert.equal((await smsTo(lead.phone_e164)).length, 1, "one SMS accepted by Twilio");
    const [row] = await sql`select status, provider_message_id from public.notifications_outbox
                            where key = ${key}`;
    assert.deepEqual([row.status, row.provider_message_id], ["sent", first.sid]);
    const attempts = await attemptsOf(sql, lead.id, "initial_confirmation_sms");
    assert.deepEqual(attempts.map((a) => [a.outcome, a.reconciled]), [
      ["retry", false],
      ["sent", true],
    ]);
  } finally {
    await switches.pgNetPaused(false);
    await Promise.all([deps.sql.end(), sql.end()]);
  }
});

Deno.test("Resend accepts a batch and the connection drops: the same batch goes again under the same key, and each email arrives once", async () => {
  const sql = connect();
  try {
    // Leads planned together: their emails go in batch calls, and the first batch is lost.
    await switches.pgNetPaused(true);
    const leads = await Promise.all(
      [1, 2, 3, 4].map(() => insertLead(sql, { sms_consent: false })),
    );
    await using _fault = await addFault("resend", {
      path: "/emails/batch",
      // A batch of this test's (another test's email could be sent meanwhile).
      bodyContains: leads[0].reference_number,
      times: 1,
      acceptFirst: true,
      drop: true,
    });
    await switches.pgNetPaused(false);
    for (const lead of leads) {
      const outbox = await settledOutbox(sql, lead.id, 3);
      assert.equal(outbox.customer_confirmation_email.status, "sent");
      assert.equal(outbox.staff_new_lead_email.status, "sent");
      assert.equal((await emailsTo(lead.email)).length, 1, "one customer email accepted");
      assert.equal((await staffAlertsFor(lead.reference_number)).length, 1, "one staff alert");
    }
    const ours = (await resend.requests()).filter((r) =>
      r.path === "/emails/batch" &&
      leads.some((l) => JSON.stringify(r.body).includes(l.reference_number))
    );
    const lost = ours.find((r) => r.dropped)!;
    assert.ok(lost, "a batch was accepted and its answer lost");
    const key = lost.headers["idempotency-key"];
    const again = ours.filter((r) => !r.dropped && r.headers["idempotency-key"] === key);
    assert.equal(again.length, 1, "the lost batch went again once, under its key");
    assert.deepEqual(again[0].body, lost.body, "with the same members and content");
    const members = await sql`
      select status, attempts from public.notifications_outbox where send_ref = ${key}`;
    assert.equal(members.length, (lost.body as unknown[]).length);
    assert.ok(members.every((m) => m.status === "sent" && m.attempts === 2));
  } finally {
    await sql.end();
  }
});

Deno.test("a message in doubt that never reached the provider is sent once after Twilio confirms it is absent", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    // The connection drops before Twilio reads the request: nothing was accepted.
    const phone = uniquePhone();
    await using _fault = await addFault("twilio", {
      path: "/Messages.json",
      bodyContains: encodeURIComponent(phone),
      times: 1,
      drop: true,
    });
    const lead = await insertLead(sql, { phone_e164: phone });
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.initial_confirmation_sms.status, "sent");
    assert.equal((await smsTo(lead.phone_e164)).length, 1);
    const attempts = await attemptsOf(sql, lead.id, "initial_confirmation_sms");
    assert.deepEqual(attempts.map((a) => [a.outcome, a.reconciled]), [
      ["retry", false],
      ["sent", false],
    ]);
    const lookups = (await twilio.requests()).filter((r) =>
      r.method === "GET" && r.path.endsWith("/Messages.json") &&
      r.query?.To === lead.phone_e164
    );
    assert.equal(lookups.length, 1, "Twilio was asked once before the second send");
    assert.deepEqual(Object.keys(await outboxOf(sql, lead.id)).length, 3);
  } finally {
    await sql.end();
  }
});
