import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead, newLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo, resend, smsTo, switches, twilio } from "../support/fakes.ts";
import {
  allowRepeatSubmissions,
  outboxOf,
  smsWindowAlwaysOpen,
  sweep,
} from "../support/notify_lead.ts";
import { addFault } from "../support/shared_state.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;

async function allSettled(sql: Sql, leadIds: string[], timeoutMs = 30_000) {
  await waitFor(`${leadIds.length} leads' messages to settle`, async () => {
    const [{ open }] = await sql`
      select count(*)::int as open from public.notifications_outbox
      where lead_id = any (${
      sql.array(leadIds)
    }::uuid[]) and status in ('pending', 'sending', 'retry')`;
    const [{ planned }] = await sql`
      select count(*)::int as planned from public.leads
      where id = any (${sql.array(leadIds)}::uuid[]) and notifications_planned_at is not null`;
    return open === 0 && planned === leadIds.length;
  }, { timeoutMs, intervalMs: 100 });
}

/** Each lead got exactly one customer email, one SMS and one staff alert. */
async function assertNotifiedExactlyOnce(
  leads: Array<{ email: string | null; phone_e164: string | null; reference_number: string }>,
) {
  const staff = await emailsTo("admin@pinkautoglass.com");
  for (const lead of leads) {
    assert.equal(
      (await emailsTo(lead.email)).length,
      1,
      `one customer email for ${lead.reference_number}`,
    );
    assert.equal((await smsTo(lead.phone_e164)).length, 1, `one SMS for ${lead.reference_number}`);
    assert.equal(
      staff.filter((e) => e.html?.includes(lead.reference_number)).length,
      1,
      `one staff alert for ${lead.reference_number}`,
    );
  }
}

Deno.test("Resend answers 500 twice, then 200: the email is accepted exactly once, after 3 attempts", async () => {
  const sql = connect();
  try {
    // A phone-only quick quote without consent: the staff alert is its only message, and the
    // faults are its own (its customer's name is in no other test's email).
    const last_name = `Faults${crypto.randomUUID().slice(0, 8)}`;
    await using _fault = await addFault("resend", {
      path: "/emails",
      bodyContains: last_name,
      times: 2,
      status: 500,
    });
    const lead = await insertLead(sql, {
      last_name,
      email: null,
      sms_consent: false,
      source_form: "quick_quote",
    });
    await allSettled(sql, [lead.id]);
    const outbox = await outboxOf(sql, lead.id);
    assert.equal(outbox.staff_new_lead_email.status, "sent");
    assert.equal(outbox.staff_new_lead_email.attempts, 3);
    assert.match(
      outbox.staff_new_lead_email.last_error ?? "",
      /^$/,
      "the error is cleared once sent",
    );
    const alerts = (await emailsTo("admin@pinkautoglass.com")).filter((e) =>
      e.html?.includes(lead.reference_number)
    );
    assert.equal(alerts.length, 1);
    const failed = (await resend.requests())
      .filter((r) =>
        r.fault && r.response.status === 500 &&
        JSON.stringify(r.body).includes(lead.reference_number)
      );
    assert.equal(failed.length, 2);
  } finally {
    await sql.end();
  }
});

Deno.test("Resend answers 429 with Retry-After: the sender waits that long, then sends once, without spending an attempt", async () => {
  const sql = connect();
  try {
    const email = `throttled.${crypto.randomUUID().slice(0, 8)}@example.com`;
    await using _fault = await addFault("resend", {
      path: "/emails",
      bodyContains: email,
      times: 1,
      status: 429,
      headers: { "retry-after": "2" },
    });
    const lead = await insertLead(sql, { email, sms_consent: false });
    await allSettled(sql, [lead.id]);
    const outbox = await outboxOf(sql, lead.id);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(
      outbox.customer_confirmation_email.attempts,
      1,
      "being throttled is not a failed attempt",
    );
    assert.equal((await emailsTo(lead.email)).length, 1);
    // The calls that carried the customer's confirmation (alone, or in a batch with the staff alert).
    const carriesCustomerEmail = (body: unknown) =>
      (Array.isArray(body) ? body : [body]).some((e: { to?: string[] }) =>
        e?.to?.includes(lead.email!)
      );
    const requests = (await resend.requests()).filter((r) => carriesCustomerEmail(r.body));
    assert.deepEqual(requests.map((r) => r.response.status), [429, 200]);
    const [limited, accepted] = requests;
    const waitedMs = Date.parse(accepted.at) - Date.parse(limited.at);
    assert.ok(waitedMs >= 2000, `waited ${waitedMs} ms after Retry-After: 2`);
  } finally {
    await sql.end();
  }
});

Deno.test("Twilio 21211 (invalid number): no retry, the failure logged, staff still told", async () => {
  const sql = connect();
  const startedAt = new Date().toISOString();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    // Twilio's magic invalid number, which other tests' leads share.
    await using _repeats = await allowRepeatSubmissions(sql);
    const lead = await insertLead(sql, { phone_e164: "+15005550001" });
    await allSettled(sql, [lead.id]);
    const outbox = await outboxOf(sql, lead.id);
    assert.equal(outbox.initial_confirmation_sms.status, "dead");
    assert.equal(outbox.initial_confirmation_sms.attempts, 1);
    assert.match(outbox.initial_confirmation_sms.last_error, /21211/);
    const sends = (await twilio.requests()).filter((r) =>
      r.at >= startedAt && r.method === "POST" && (r.body as { To?: string })?.To === "+15005550001"
    );
    assert.equal(sends.length, 1, "tried once");
    const [failure] =
      await sql`select metadata from public.lead_activities where lead_id = ${lead.id} and activity_type = 'sms_failed'`;
    assert.equal(failure.metadata.error_code, 21211);
    assert.equal(outbox.staff_new_lead_email.status, "sent");
    assert.equal(outbox.customer_confirmation_email.status, "sent");
  } finally {
    await sql.end();
  }
});

Deno.test("functions down while 20 leads are inserted: after they return and the sweep runs, each lead is notified exactly once", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await switches.functionDown("notify-lead", true);
    const [{ before }] =
      await sql`select coalesce(max(id), 0) as before from net.http_request_queue`;
    const [{ last }] = await sql`select coalesce(max(id), 0) as last from net._http_response`;
    const since = Math.max(Number(before), Number(last));
    const leads = [];
    for (let i = 0; i < 20; i++) leads.push(await insertLead(sql));
    const ids = leads.map((l) => l.id);
    // Every webhook reached the gateway and got the 503 of a function that is down.
    await waitFor("the 20 webhooks to fail with 503", async () => {
      // global: pg_net's responses name no lead; at least this test's 20, a wait only.
      const [{ failed }] =
        await sql`select count(*)::int as failed from net._http_response where id > ${since} and status_code = 503`;
      return failed >= 20;
    });
    const [{ unplanned }] =
      await sql`select count(*)::int as unplanned from public.leads where id = any (${
        sql.array(ids)
      }::uuid[]) and notifications_planned_at is null`;
    assert.equal(unplanned, 20, "nothing was planned while the function was down");
    await switches.functionDown("notify-lead", false);
    const report = await sweep();
    assert.ok(
      report.leads_planned >= 20,
      `the sweep planned the missed leads (${JSON.stringify(report)})`,
    );
    await allSettled(sql, ids);
    await assertNotifiedExactlyOnce(leads);
  } finally {
    await switches.functionDown("notify-lead", false);
    await sql.end();
  }
});

Deno.test("webhook requests deleted from pg_net's queue: the sweep plans those leads, each notified exactly once", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await switches.pgNetPaused(true);
    const leads = [];
    for (let i = 0; i < 5; i++) leads.push(await insertLead(sql, newLead({ sms_consent: true })));
    const deleted = await sql`delete from net.http_request_queue returning id`;
    assert.ok(deleted.length >= 5, "the webhooks were queued, and are now lost");
    await switches.pgNetPaused(false);
    await sweep();
    await allSettled(sql, leads.map((l) => l.id));
    await assertNotifiedExactlyOnce(leads);
  } finally {
    await switches.pgNetPaused(false);
    await sql.end();
  }
});
