/**
 * The day's SMS budget through the running functions: the spend counts the segments Twilio
 * said each accepted text took, 80 % of business_settings.sms_daily_budget_usd tells the admin
 * once, and a spent budget suppresses a consenting lead's text with the reason while its
 * emails go and a STOP is still answered.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { emailsTo, smsTo, twilio } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen, sweep } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

// A dollar a segment: the day's spend is then whole dollars, which the budget (in cents) can
// put at any share of it.
const PRICE_PER_SEGMENT = 1;

Deno.test("a spent SMS budget suppresses a consenting lead's texts with the reason and still sends its email; 80 % raises one alert", async () => {
  const sql = connect();
  const [saved] = await sql`select sms_daily_budget_usd, sms_price_per_segment_usd,
    sms_window_start_hour, sms_window_end_hour from public.business_settings`;
  const [{ since }] =
    await sql`select coalesce(max(id), 0) as since from public.notifications_outbox`;
  const budgetAlerts = (condition: string) =>
    sql`select payload -> 'alert' as alert from public.notifications_outbox
      where id > ${since} and template like 'admin_alert_%'
        and payload -> 'alert' ->> 'condition' = ${condition}
        and payload -> 'alert' ->> 'state' = 'raised'`;
  try {
    await smsWindowAlwaysOpen(sql);
    await sql`update public.business_settings
      set sms_price_per_segment_usd = ${PRICE_PER_SEGMENT}`;

    // Under the budget: texted, and Twilio's segment count recorded on the row.
    const texted = await insertLead(sql);
    const first = await settledOutbox(sql, texted.id, 3);
    assert.equal(first.initial_confirmation_sms.status, "sent");
    const segments = first.initial_confirmation_sms.segments;
    const [accepted] = (await smsTo(texted.phone_e164)).filter((m) =>
      m.body.includes(texted.reference_number)
    );
    assert.ok(segments >= 1, `segments recorded (${segments})`);
    assert.equal(segments, accepted.num_segments, "as the fake Twilio counted them");

    const spendNow = async () => {
      const [row] = await sql`select spent_usd::float8 as spent, budget_usd::float8 as budget,
        texts::int, budget_spent from public.sms_spend_today`;
      return row;
    };
    const spent = (await spendNow()).spent;
    assert.ok(spent >= segments * PRICE_PER_SEGMENT, `today's spend ${spent} counts the text`);

    // 90 % of a budget: one alert however many sweeps see it, none that it is spent.
    const budget = Math.ceil((spent / 0.9) * 100) / 100;
    await sql`update public.business_settings set sms_daily_budget_usd = ${budget}`;
    const at = await spendNow();
    assert.ok(at.spent / at.budget >= 0.8 && !at.budget_spent, JSON.stringify(at));
    await sweep();
    await sweep();
    const warnings = await budgetAlerts("sms_budget_warning");
    assert.equal(warnings.length, 1, "the admin is told once at 80 %");
    assert.match(
      warnings[0].alert.summary,
      /^SMS spend today \$[\d.]+ of the \$[\d.]+ daily budget \(\d+ %\)/,
    );
    assert.equal((await budgetAlerts("sms_budget_spent")).length, 0);

    // Spent: the next consenting lead is emailed, its text suppressed with the reason.
    await sql`update public.business_settings set sms_daily_budget_usd = ${Math.floor(spent)}`;
    assert.equal((await spendNow()).budget_spent, true);
    const emailed = await insertLead(sql);
    const rows = await settledOutbox(sql, emailed.id, 3);
    assert.deepEqual(
      [rows.initial_confirmation_sms.status, rows.initial_confirmation_sms.status_reason],
      ["suppressed", `sms_budget_spent ($${Math.floor(spent).toFixed(2)} per day)`],
    );
    assert.equal(rows.customer_confirmation_email.status, "sent");
    assert.equal(rows.staff_new_lead_email.status, "sent");
    assert.equal(
      (await emailsTo(emailed.email)).filter((e) => e.subject.includes(emailed.reference_number))
        .length,
      1,
      "the customer's confirmation email reached Resend",
    );
    assert.deepEqual(await smsTo(emailed.phone_e164), [], "no text to the customer");
    const [{ will_text }] = await sql`select public.lead_will_text(${emailed.id}) as will_text`;
    assert.equal(will_text, false, "submit_lead's will_text says so too");

    // An opt-out is confirmed whatever the budget (a plain request: our reply, not Twilio's).
    const stop = await twilio.inbound({ from: emailed.phone_e164!, body: "Stop please" });
    assert.equal(stop.replies.length, 1, JSON.stringify(stop));
    assert.match(stop.replies[0], /no more texts/);

    await sweep();
    await sweep();
    assert.equal((await budgetAlerts("sms_budget_spent")).length, 1, "told once it is spent");
    assert.equal((await budgetAlerts("sms_budget_warning")).length, 1, "not again at 80 %");
  } finally {
    await sql`update public.business_settings
      set sms_daily_budget_usd = ${saved.sms_daily_budget_usd},
        sms_price_per_segment_usd = ${saved.sms_price_per_segment_usd},
        sms_window_start_hour = ${saved.sms_window_start_hour},
        sms_window_end_hour = ${saved.sms_window_end_hour}`;
    // The budget back: the next sweep clears both alerts. Waited for, so no alert of this
    // test reaches the fake Resend during a later test's faults.
    await sweep();
    await waitFor("the budget alerts to clear and be sent", async () => {
      const states = await sql`select cleared_at from public.admin_alerts
        where condition in ('sms_budget_warning', 'sms_budget_spent')`;
      const [{ waiting }] = await sql`select count(*)::int as waiting
        from public.notifications_outbox
        where id > ${since} and template like 'admin_alert_%'
          and status in ('pending', 'sending', 'retry', 'deferred')`;
      return states.every((s) => s.cleared_at !== null) && waiting === 0;
    });
    await sql.end();
  }
});
