/**
 * The functions process is SIGKILLed at a protocol event (a provider has accepted, its answer
 * is still on the wire; a batch has just reached Resend; webhooks are being planned) and a
 * new one starts, as a crashed edge worker is replaced. The fakes live in another process and
 * record every message they accept: each lead must end with exactly one of each message.
 * Recovery is the sweep's (pg_cron's, every minute): the tests run it at once instead.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo, resend, smsTo, switches, twilio } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen, sweep } from "../support/notify_lead.ts";
import { addFault } from "../support/shared_state.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;
type Lead = Awaited<ReturnType<typeof insertLead>>;

/** Every lead has one customer email, one staff alert and (with consent) one SMS, all sent. */
async function assertEachOnce(sql: Sql, leads: Lead[], withSms: boolean) {
  const staff = await emailsTo("admin@pinkautoglass.com");
  for (const lead of leads) {
    // Inside the sweep's linger: it claims each dead sender's row once its 20 s lease ends.
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.staff_new_lead_email.status, "sent");
    assert.equal(
      (await emailsTo(lead.email)).length,
      1,
      `one email to ${lead.reference_number}`,
    );
    assert.equal(
      staff.filter((e) => e.html?.includes(lead.reference_number)).length,
      1,
      `one staff alert for ${lead.reference_number}`,
    );
    if (withSms) {
      assert.equal(outbox.initial_confirmation_sms.status, "sent");
      assert.equal(
        (await smsTo(lead.phone_e164)).length,
        1,
        `one SMS to ${lead.reference_number}`,
      );
    }
  }
}

/**
 * Ends the leases a killed sender held on these leads' rows, as the clock would once their 20 s
 * ran out (nothing renews them): the sweep then claims them at once instead of lingering.
 */
async function endLeasesOf(sql: Sql, leads: Lead[]) {
  await sql`update public.notifications_outbox set lease_until = now()
    where lead_id = any (${leads.map((l) => l.id)}::uuid[]) and status = 'sending'`;
}

/** Runs the sweep as pg_cron would, without failing on a function still booting. */
async function sweepAfterRestart() {
  await waitFor("the new functions process to sweep", async () => {
    try {
      return await sweep();
    } catch {
      return undefined;
    }
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

/**
 * Three leads' texts accepted by Twilio, their answers held on the wire, when `kill` ends the
 * sender: each lead must end with one of each message, every text in doubt found at Twilio.
 */
async function textsOnTheWireWhenKilled(kill: () => Promise<unknown>) {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    // The answers are held for 8 s (the client gives up at 10 s), so texts accepted seconds
    // apart on a slow machine are all still on the wire when the sender dies.
    await using _fault = await addFault("twilio", {
      path: "/Messages.json",
      times: 3,
      acceptFirst: true,
      delayMs: 8_000,
    });
    const leads = await Promise.all([1, 2, 3].map(() => insertLead(sql)));
    const phones = new Set(leads.map((l) => l.phone_e164));
    await waitFor("Twilio to accept our texts", async () => {
      const texts = (await twilio.messages()).filter((m) => phones.has(m.to));
      return texts.length === leads.length;
    }, { intervalMs: 10 });
    await kill();
    // Read once the sender is dead: a text whose answer did arrive in time is simply sent.
    const [{ unanswered }] = await sql`
      select count(*)::int as unanswered from public.notifications_outbox
      where lead_id = any (${leads.map((l) => l.id)}::uuid[]) and channel = 'sms'
        and status <> 'sent'`;
    assert.ok(
      unanswered > 0,
      "some text's answer was still on the wire at the kill",
    );
    // The dead sender renews no lease: its leases end now, as they would 20 s from now.
    await endLeasesOf(sql, leads);
    await sweepAfterRestart();
    await assertEachOnce(sql, leads, true);
    const [{ reconciled }] = await sql`
      select count(*)::int as reconciled from public.notification_attempts a
      join public.notifications_outbox o on o.id = a.outbox_id
      where o.lead_id = any (${leads.map((l) => l.id)}::uuid[]) and o.channel = 'sms'
        and a.reconciled`;
    assert.equal(
      reconciled,
      unanswered,
      "each text in doubt was found at Twilio, not sent again",
    );
  } finally {
    await sql.end();
  }
}

Deno.test("killed after Twilio accepted SMS whose answers were on the wire: they are found at Twilio, none texted twice", async () => {
  await textsOnTheWireWhenKilled(() => switches.killFunctions());
});

Deno.test("a worker killed at the hard CPU limit with texts on the wire: each is found at Twilio, nothing lost or texted twice", async () => {
  await textsOnTheWireWhenKilled(async () => {
    const killed = async () => (await switches.runtimeStats()).functions["notify-lead"].killedCpu;
    const before = await killed();
    const { workers } = await switches.exhaustFunction("notify-lead");
    assert.ok(workers > 0, "a notify-lead worker was sending");
    await waitFor(
      "the runtime to kill it at the limit",
      async () => (await killed()) > before,
    );
  });
});

Deno.test("killed 20 ms after a batch reached Resend: the batch goes again under its key, each email arrives once", async () => {
  const sql = connect();
  try {
    await switches.pgNetPaused(true);
    const leads = await Promise.all(
      [1, 2, 3, 4].map(() => insertLead(sql, { sms_consent: false })),
    );
    await using _fault = await addFault("resend", {
      path: "/emails/batch",
      // This test's batch, not one another test's delayed work sends meanwhile.
      bodyContains: leads[0].email!,
      times: 1,
      acceptFirst: true,
      delayMs: 3_000,
    });
    await switches.pgNetPaused(false);
    await waitFor("this test's batch to reach Resend", async () => {
      const calls = await resend.requests();
      return calls.some((r) =>
        r.path === "/emails/batch" && JSON.stringify(r.body).includes(leads[0].email!)
      );
    }, { intervalMs: 5 });
    await new Promise((r) => setTimeout(r, 20));
    await switches.killFunctions();
    await endLeasesOf(sql, leads);
    await sweepAfterRestart();
    await assertEachOnce(sql, leads, false);
  } finally {
    await switches.pgNetPaused(false);
    await sql.end();
  }
});

Deno.test("killed while webhooks are being planned: the sweep plans what was cut off, and each lead is notified once", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await switches.pgNetPaused(true);
    const leads = await Promise.all([1, 2, 3, 4, 5].map(() => insertLead(sql)));
    await switches.pgNetPaused(false);
    await waitFor("the first webhook to plan its lead", async () => {
      const [{ planned }] = await sql`
        select count(*)::int as planned from public.leads
        where id = any (${
        leads.map((l) => l.id)
      }::uuid[]) and notifications_planned_at is not null`;
      return planned > 0;
    }, { intervalMs: 5 });
    await switches.killFunctions();
    await sweepAfterRestart();
    await assertEachOnce(sql, leads, true);
  } finally {
    await sql.end();
  }
});
