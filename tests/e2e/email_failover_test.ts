/**
 * Email failover (issue 23): while Resend is failing, email goes through SendGrid; it comes
 * back to Resend once Resend answers; an email whose Resend answer was lost never goes to
 * SendGrid. Resend's circuit is shared by the whole stack: each test puts it back
 * (withResendCircuit).
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo, resend } from "../support/fakes.ts";
import { sweep } from "../support/notify_lead.ts";
import {
  coolDownOver,
  resendCircuitState,
  sendGridEmailsTo,
  withResendCircuit,
} from "../support/email_failover.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;

async function customerEmail(sql: Sql, leadId: string) {
  const [row] = await sql<
    {
      status: string;
      provider: string | null;
      attempts: number;
      in_doubt_since: Date | null;
      last_error: string | null;
      provider_message_id: string | null;
    }[]
  >`
    select status, provider, attempts, in_doubt_since, last_error, provider_message_id
    from public.notifications_outbox where key = ${leadId + ":customer_confirmation_email"}`;
  return row;
}

async function sentCustomerEmail(sql: Sql, leadId: string, timeoutMs = 30_000) {
  return await waitFor("the customer's confirmation email to be sent", async () => {
    const row = await customerEmail(sql, leadId);
    return row?.status === "sent" ? row : undefined;
  }, { timeoutMs, intervalMs: 100 });
}

async function alertKeys(sql: Sql, condition: string) {
  const rows = await sql<{ key: string }[]>`
    select key from public.notifications_outbox
    where key like ${`admin_alert:${condition}:%`} order by id`;
  return rows.map((r) => r.key);
}

Deno.test("With Resend answering 500 to everything, a new lead's customer email is accepted once by the fake SendGrid and never by Resend; when Resend answers again, the next lead goes through Resend; failover and recovery each raise one admin alert", async () => {
  const sql = connect();
  try {
    await withResendCircuit(sql, async () => {
      const alertsBefore = await alertKeys(sql, "resend_failover");
      await resend.fault({ path: "/emails", times: 10_000, status: 500 });
      const down = await insertLead(sql, { sms_consent: false });
      const sent = await sentCustomerEmail(sql, down.id);
      assert.equal(sent.provider, "sendgrid");
      assert.match(sent.provider_message_id ?? "", /^[\w-]{22}$/, "SendGrid's X-Message-Id");
      const atSendGrid = await sendGridEmailsTo(down.email!);
      assert.equal(atSendGrid.length, 1, "accepted once by SendGrid");
      assert.equal(atSendGrid[0].custom_args.outbox_key, `${down.id}:customer_confirmation_email`);
      assert.equal((await emailsTo(down.email)).length, 0, "never accepted by Resend");
      const [timeline] = await sql`
        select details ->> 'provider' as provider from public.lead_timeline
        where lead_id = ${down.id} and entry = 'message' and what = 'customer_confirmation_email'`;
      assert.equal(timeline.provider, "sendgrid", "the admin's timeline names SendGrid");
      const refused = (await resend.requests()).filter((r) =>
        JSON.stringify(r.body).includes(down.email!)
      );
      // Until the circuit opened: 3 failed calls in a row, some of them perhaps other emails'.
      assert.ok(refused.length >= 1 && refused.length <= 3, `${refused.length} calls to Resend`);
      assert.ok(refused.every((r) => r.response.status === 500));
      assert.notEqual(await resendCircuitState(sql), "closed");

      await sweep();
      const raised = (await alertKeys(sql, "resend_failover")).filter((k) =>
        !alertsBefore.includes(k)
      );
      assert.equal(raised.length, 1, `one failover alert: ${raised}`);
      assert.match(raised[0], /:raised$/);
      await sweep();
      assert.equal(
        (await alertKeys(sql, "resend_failover")).length,
        alertsBefore.length + 1,
        "a second sweep does not alert again",
      );

      await resend.clearFaults();
      await coolDownOver(sql);
      const back = await insertLead(sql, { sms_consent: false });
      const again = await sentCustomerEmail(sql, back.id);
      assert.equal(again.provider, "resend");
      assert.equal((await emailsTo(back.email)).length, 1, "accepted by Resend");
      assert.equal((await sendGridEmailsTo(back.email!)).length, 0, "not by SendGrid");
      assert.equal(await resendCircuitState(sql), "closed");

      await sweep();
      const after = (await alertKeys(sql, "resend_failover")).filter((k) =>
        !alertsBefore.includes(k)
      );
      assert.equal(after.length, 2, `failover and recovery alerts: ${after}`);
      assert.match(after[1], /:cleared$/);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("A Resend answer lost in flight is never followed by a SendGrid send of the same message: it is held while Resend fails and settled at Resend under its key", async () => {
  const sql = connect();
  try {
    await withResendCircuit(sql, async () => {
      const lost = crypto.randomUUID().slice(0, 8);
      const email = `lost.${lost}@example.com`;
      // Resend takes the email but its answer never comes back; then Resend fails outright.
      await resend.fault({
        path: "/emails",
        bodyContains: email,
        times: 1,
        acceptFirst: true,
        drop: true,
      });
      await resend.fault({ path: "/emails", times: 10_000, status: 500 });
      const lead = await insertLead(sql, { email, sms_consent: false });
      await waitFor("the circuit to open", async () => await resendCircuitState(sql) === "open", {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      // SendGrid is in use meanwhile: another lead's email goes there.
      const other = await insertLead(sql, { sms_consent: false });
      assert.equal((await sentCustomerEmail(sql, other.id)).provider, "sendgrid");
      const held = await waitFor("the email in doubt to be held", async () => {
        const row = await customerEmail(sql, lead.id);
        return row.status === "retry" && /held until Resend answers/.test(row.last_error ?? "")
          ? row
          : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      assert.notEqual(held.in_doubt_since, null);
      assert.equal((await sendGridEmailsTo(email)).length, 0, "SendGrid never got it");

      await resend.clearFaults();
      await coolDownOver(sql);
      const sent = await sentCustomerEmail(sql, lead.id);
      assert.equal(sent.provider, "resend");
      assert.equal((await emailsTo(email)).length, 1, "Resend has it once");
      assert.equal((await sendGridEmailsTo(email)).length, 0, "SendGrid never got it");
    });
  } finally {
    await sql.end();
  }
});
