import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { emailsTo, resend, smsTo, twilio } from "../support/fakes.ts";
import { changeSettings } from "../support/shared_state.ts";
import {
  allowRepeatSubmissions,
  postToNotifyLead,
  settledOutbox,
  smsWindowAlwaysOpen,
  sweep,
  WEBHOOK_SECRET,
  webhookPayloadFor,
} from "../support/notify_lead.ts";

await requireStack();
const ADMIN = "admin@pinkautoglass.com";

/** The Denver hour two hours from now (0–23). */
function closedHour(now = new Date()): number {
  const hour = Number(
    new Intl.DateTimeFormat("en-US", {
      timeZone: "America/Denver",
      hour: "numeric",
      hourCycle: "h23",
    }).format(now),
  );
  return (hour + 2) % 24;
}

/** The lead's three new-lead messages, once all have reached a final state. */
const settled = (sql: ReturnType<typeof connect>, leadId: string) => settledOutbox(sql, leadId, 3);

Deno.test("a complete lead with consent: customer email, staff alert and SMS reach the providers, all logged as sent", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql, {
      preferred_date: null,
      notes: "Crack spreading from the wiper line",
    });
    const outbox = await settled(sql, lead.id);

    const [customer] = await emailsTo(lead.email);
    assert.equal(customer.subject, `We received your request - Ref #${lead.reference_number}`);
    assert.match(customer.from, /noreply@pinkautoglass\.com/);
    assert.match(customer.text ?? "", /\(720\) 918-7465/);
    assert.match(customer.html ?? "", /Larimer St/, "the postal address is in the footer");
    assert.equal(customer.idempotency_key !== null || customer.batch, true);

    const staff = (await emailsTo(ADMIN)).filter((e) => e.html?.includes(lead.reference_number));
    assert.equal(staff.length, 1);
    assert.equal(staff[0].subject, "🚨 New Lead: 2019 Subaru Outback - Replacement");
    assert.match(staff[0].html ?? "", /Crack spreading from the wiper line/);

    const [sms] = await smsTo(lead.phone_e164);
    assert.match(sms.body, new RegExp(`Ref: ${lead.reference_number}`));
    assert.match(sms.body, /Text STOP to opt-out/);
    assert.equal(sms.from, "+17205550100");
    assert.match(sms.status_callback ?? "", /\/functions\/v1\/twilio-inbound$/);

    for (
      const template of [
        "customer_confirmation_email",
        "staff_new_lead_email",
        "initial_confirmation_sms",
      ]
    ) {
      assert.equal(outbox[template].status, "sent", template);
      assert.equal(outbox[template].attempts, 1, template);
      assert.ok(outbox[template].provider_message_id, `${template} has the provider's id`);
    }
    assert.equal(outbox.initial_confirmation_sms.provider_message_id, sms.sid);
    const activities = await sql`
      select activity_type, metadata from public.lead_activities
      where lead_id = ${lead.id} and activity_type in ('email_sent', 'sms_sent') order by id`;
    assert.deepEqual(activities.map((a) => a.activity_type).sort(), [
      "email_sent",
      "email_sent",
      "sms_sent",
    ]);
    assert.ok(
      activities.every((a) => a.metadata.provider_message_id),
      "activities carry the provider ids",
    );
    assert.ok(
      activities.every((a) => !JSON.stringify(a.metadata).includes(lead.phone_e164!)),
      "recipients are masked in activity metadata",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("no SMS consent: emails go, the SMS is suppressed with its reason recorded", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql, { sms_consent: false });
    const outbox = await settled(sql, lead.id);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "no_sms_consent");
    assert.equal((await smsTo(lead.phone_e164)).length, 0);
    const [activity] =
      await sql`select metadata from public.lead_activities where lead_id = ${lead.id} and activity_type = 'notification_suppressed'`;
    assert.equal(activity.metadata.reason, "no_sms_consent");
  } finally {
    await sql.end();
  }
});

Deno.test("an invalid phone number: email only, the reason recorded", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    // North American in shape (the database takes it) but area code 999 is not in service;
    // every run's lead has this number.
    await using _repeats = await allowRepeatSubmissions(sql);
    const lead = await insertLead(sql, { phone_e164: "+19995551234" });
    const outbox = await settled(sql, lead.id);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "invalid_phone");
    assert.equal((await smsTo("+19995551234")).length, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("outside SMS hours the SMS is deferred to the recipient's next allowed hour; emails go at once", async () => {
  const sql = connect();
  try {
    // A one-hour window two hours from now in Denver: closed now and for the next hour,
    // whatever the hour the test runs at (and if the hour turns while it runs).
    const start = closedHour();
    await using _window = await changeSettings(sql, {
      sms_window_start_hour: start,
      sms_window_end_hour: start + 1,
    });
    const lead = await insertLead(sql);
    const outbox = await settled(sql, lead.id);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.status, "deferred");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "quiet_hours");
    assert.ok(
      outbox.initial_confirmation_sms.next_attempt_at > new Date(),
      "deferred to a later time",
    );
    assert.equal((await smsTo(lead.phone_e164)).length, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("the same webhook delivered twice adds nothing and sends nothing twice", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    await settled(sql, lead.id);
    const payload = await webhookPayloadFor(sql, lead.id);
    const [a, b] = await Promise.all([
      postToNotifyLead("notify-lead", payload),
      postToNotifyLead("notify-lead", payload),
    ]);
    assert.equal(a.status, 202);
    assert.equal(b.status, 202);
    assert.equal((await a.json()).planned, 0);
    assert.equal((await b.json()).planned, 0);
    await sweep();
    assert.equal((await emailsTo(lead.email)).length, 1);
    assert.equal((await smsTo(lead.phone_e164)).length, 1);
    const [{ n }] =
      await sql`select count(*)::int as n from public.notifications_outbox where lead_id = ${lead.id}`;
    assert.equal(n, 3);
  } finally {
    await sql.end();
  }
});

Deno.test("bad input to notify-lead gets the right status and a clear error, and sends nothing", async (t) => {
  const sql = connect();
  try {
    const unknownId = crypto.randomUUID();
    const unknownLead = JSON.stringify({
      type: "INSERT",
      table: "leads",
      schema: "public",
      record: { id: unknownId },
      old_record: null,
    });
    const cases: Array<[string, () => Promise<Response>, number, RegExp]> = [
      [
        "no secret",
        () => postToNotifyLead("notify-lead", unknownLead, {}),
        401,
        /Missing x-webhook-secret/,
      ],
      [
        "wrong secret",
        () =>
          postToNotifyLead("notify-lead", unknownLead, {
            "x-webhook-secret": WEBHOOK_SECRET + "x",
          }),
        401,
        /Wrong x-webhook-secret/,
      ],
      ["malformed JSON", () => postToNotifyLead("notify-lead", "{not json"), 400, /not valid JSON/],
      [
        "not a lead payload",
        () =>
          postToNotifyLead(
            "notify-lead",
            JSON.stringify({
              type: "DELETE",
              table: "leads",
              schema: "public",
              record: { id: "x" },
            }),
          ),
        400,
        /Not a new-lead webhook payload/,
      ],
      [
        "unknown lead",
        () => postToNotifyLead("notify-lead", unknownLead),
        404,
        new RegExp(`Lead ${unknownId} not found`),
      ],
      [
        "wrong method",
        () =>
          fetch(`${stack.functionsUrl}/notify-lead`, {
            headers: { "x-webhook-secret": WEBHOOK_SECRET },
          }),
        405,
        /Use POST/,
      ],
      [
        "wrong method and no secret: the secret is checked first",
        () => fetch(`${stack.functionsUrl}/notify-lead`),
        401,
        /Missing x-webhook-secret/,
      ],
      [
        "an unknown route without the secret",
        () => fetch(`${stack.functionsUrl}/notify-lead/nothing-here`, { method: "POST" }),
        401,
        /Missing x-webhook-secret/,
      ],
      [
        "a body over 256 KB, declared",
        () => postToNotifyLead("notify-lead", `{"x":"${"a".repeat(300 * 1024)}"}`),
        413,
        /larger than 262144 bytes/,
      ],
      [
        "a body over 256 KB, streamed without a length",
        () =>
          fetch(`${stack.functionsUrl}/notify-lead`, {
            method: "POST",
            headers: { "x-webhook-secret": WEBHOOK_SECRET, "content-type": "application/json" },
            body: new Blob([`{"x":"${"a".repeat(300 * 1024)}"}`]).stream(),
          }),
        413,
        /larger than 262144 bytes/,
      ],
    ];
    for (const [name, send, status, message] of cases) {
      await t.step(name, async () => {
        const res = await send();
        assert.equal(res.status, status);
        assert.match(res.headers.get("content-type") ?? "", /application\/json/);
        assert.match((await res.json()).error, message);
      });
    }
    const [{ n }] =
      await sql`select count(*)::int as n from public.notifications_outbox where lead_id = ${unknownId}`;
    assert.equal(n, 0);
    // Other tests' messages reach the fakes meanwhile: only what names this lead counts.
    const naming = (requests: { body: unknown }[]) =>
      requests.filter((r) => JSON.stringify(r.body).includes(unknownId));
    assert.deepEqual(naming(await resend.requests()), []);
    assert.deepEqual(naming(await twilio.requests()), []);
  } finally {
    await sql.end();
  }
});
