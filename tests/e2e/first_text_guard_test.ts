/**
 * The first-text guard through the running functions: past business_settings.
 * first_texts_per_hour, new leads are saved and emailed but their confirmation texts are held,
 * the admin is alerted once, and release_held_texts() sends each held text once.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { submission, submit } from "../support/forms.ts";
import { smsTo } from "../support/fakes.ts";
import { outboxOf, settledOutbox, smsWindowAlwaysOpen, sweep } from "../support/notify_lead.ts";
import { changeSettings } from "../support/shared_state.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

Deno.test("past the hour's first texts, leads are saved and emailed, their texts held until released, the admin told once", async () => {
  const sql = connect();
  const [{ since }] =
    await sql`select coalesce(max(id), 0) as since from public.notifications_outbox`;
  // Earlier tests' first texts of this hour would age out meanwhile and change the count:
  // moved back two hours for the test, and put back after.
  const moved = await sql`update public.notifications_outbox
    set created_at = created_at - interval '2 hours'
    where payload ? 'first_text' and created_at > now() - interval '1 hour' returning id`;
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _guard = await changeSettings(sql, { first_texts_per_hour: 2 });
    // Submitted as a form is, as anon.
    const leads = [];
    for (let i = 0; i < 4; i++) {
      const args = submission();
      const { result } = await submit(sql, args);
      const [lead] = await sql<{ id: string; reference_number: string; phone_e164: string }[]>`
        select id, reference_number, phone_e164 from public.leads
        where reference_number = ${String(result.reference_number)}`;
      leads.push(lead);
    }
    const outboxes = [];
    for (const lead of leads) outboxes.push(await settledOutbox(sql, lead.id, 3));
    assert.deepEqual(
      outboxes.map((
        o,
      ) => [o.initial_confirmation_sms.status, o.initial_confirmation_sms.status_reason]),
      [["sent", null], ["sent", null], ["deferred", "first_text_hold"], [
        "deferred",
        "first_text_hold",
      ]],
    );
    for (const o of outboxes) {
      assert.equal(o.customer_confirmation_email.status, "sent", "every lead is emailed");
      assert.equal(o.staff_new_lead_email.status, "sent", "staff hear of every lead");
    }

    await sweep();
    await sweep();
    const alerts = await sql`select payload from public.notifications_outbox
      where id > ${since} and template = 'admin_alert_email'
        and payload -> 'alert' ->> 'condition' = 'held_first_texts'
        and payload -> 'alert' ->> 'state' <> 'cleared'`;
    assert.equal(alerts.length, 1, "the admin is told once");
    assert.match(
      alerts[0].payload.alert.summary,
      /^2 confirmation text\(s\) held: more than 2 an hour/,
    );
    assert.doesNotMatch(alerts[0].payload.alert.summary, /\+1\d{10}/, "numbers masked");

    const [{ released }] = await sql`select public.release_held_texts() as released`;
    assert.equal(released, 2);
    for (const lead of leads.slice(2)) {
      await waitFor(
        `${lead.reference_number}'s held text to go`,
        async () => (await outboxOf(sql, lead.id)).initial_confirmation_sms.status === "sent",
      );
    }
    for (const lead of leads) {
      const texts = (await smsTo(lead.phone_e164)).filter((m) =>
        m.body.includes(lead.reference_number)
      );
      assert.equal(texts.length, 1, `${lead.reference_number} texted once`);
    }
    const [{ again }] = await sql`select public.release_held_texts() as again`;
    assert.equal(again, 0, "nothing is held any more");

    // Nothing held: the next sweep clears the alert (and tells the admin). Waited for, so no
    // alert of this test reaches the fake Resend during a later test's faults.
    await sweep();
    await waitFor("the alert to clear and every alert of this test to be sent", async () => {
      const [state] = await sql`select cleared_at from public.admin_alerts
        where condition = 'held_first_texts'`;
      // global: admin alerts name no lead; every one since this test began must have gone.
      const [{ waiting }] = await sql`select count(*)::int as waiting
        from public.notifications_outbox
        where id > ${since} and template like 'admin_alert_%'
          and status in ('pending', 'sending', 'retry', 'deferred')`;
      return state?.cleared_at && waiting === 0;
    });
  } finally {
    await sql`update public.notifications_outbox set created_at = created_at + interval '2 hours'
      where id = any (${moved.map((r) => r.id)}::bigint[])`;
    await sql.end();
  }
});
