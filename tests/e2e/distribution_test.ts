/**
 * Distribution and speed-to-lead through the running functions: whose turn a lead is, the
 * on-call text of a high-priority lead, the "I'm on it" link, the escalation of a lead nobody
 * acted on, and a repeated submission. Time is driven through the data (a lead's created_at set
 * back), never by waiting; the roster is put on shift around the clock so the hour the tests
 * run at does not matter.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import {
  settledOutbox,
  smsWindowAlwaysOpen,
  sweep,
  withSweepPaused,
} from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";
import { changeRows, changeSettings } from "../support/shared_state.ts";

await requireStack();

const ADMIN = "admin@pinkautoglass.com";
const DISPATCH = "dispatch@pinkautoglass.com";
const ON_CALL = "admin@pinkautoglass.com"; // Dana Pink, on call in the seed

type Sql = ReturnType<typeof connect>;

/**
 * Runs `body` with Dana and Marco taking leads around the clock, nobody else, and the shop
 * without opening hours (so confirmations and escalations do not depend on the hour); Dana, on
 * call, gets a phone of this test's own (so the pages of other tests and runs do not count
 * toward its hourly cap), handed to `body`. Puts the roster and settings back afterwards.
 */
async function withRosterOnShift(sql: Sql, body: (onCallPhone: string) => Promise<void>) {
  const onCallPhone = uniquePhone();
  await using _roster = await changeRows(
    sql,
    "staff_members",
    ["working_hours", "receives_lead_alerts", "last_assigned_at", "phone_e164"],
    async () => {
      await sql`update public.staff_members set working_hours = null, last_assigned_at = null,
        receives_lead_alerts = email in (${ADMIN}, ${DISPATCH})`;
      await sql`update public.staff_members set phone_e164 = ${onCallPhone} where email = ${ON_CALL}`;
    },
  );
  await using _hours = await changeSettings(sql, { business_hours: null });
  await body(onCallPhone);
}

async function assigneesOf(sql: Sql, ids: string[]) {
  return await sql<{ id: string; email: string | null }[]>`
    select l.id, s.email from public.leads l left join public.staff_members s on s.id = l.assigned_to
    where l.id = any (${ids}::uuid[])`;
}

/** The staff alert of a lead, once the fake Resend has it. */
async function staffAlertOf(reference: string) {
  return await waitFor(
    `the staff alert of ${reference}`,
    async () =>
      (await emailsTo(ADMIN)).find((e) =>
        e.subject.includes("New Lead") && e.html?.includes(reference)
      ),
  );
}

/** The "I'm on it" link in an email or SMS. */
function claimLink(text: string): string {
  const links = [...text.matchAll(/https?:\/\/[^\s"<>]+\/lead-action\?t=[A-Za-z0-9_.-]+/g)];
  assert.ok(links.length > 0, "the message carries a lead-action link");
  return links[0][0].replaceAll("&amp;", "&");
}

/** Sets a lead back in time, as if it had come in `minutes` ago. */
async function backdate(sql: Sql, leadId: string, minutes: number) {
  await sql`update public.leads set created_at = now() - make_interval(mins => ${minutes})
    where id = ${leadId}`;
}

async function activities(sql: postgres.Sql, leadId: string, type: string) {
  return await sql`select * from public.lead_activities
    where lead_id = ${leadId} and activity_type = ${type}`;
}

Deno.test("two leads in a row go to two people, each alert copying the admin inbox", async () => {
  const sql = connect();
  try {
    await withRosterOnShift(sql, async () => {
      const first = await insertLead(sql);
      await settledOutbox(sql, first.id, 3);
      const second = await insertLead(sql);
      await settledOutbox(sql, second.id, 3);
      const assigned = await assigneesOf(sql, [first.id, second.id]);
      const byId = new Map(assigned.map((a) => [a.id, a.email]));
      assert.notEqual(byId.get(first.id), byId.get(second.id), "two different people");
      assert.deepEqual(new Set(byId.values()), new Set([ADMIN, DISPATCH]));
      const toDispatch = (await emailsTo(DISPATCH)).find((e) =>
        e.html?.includes(first.reference_number) || e.html?.includes(second.reference_number)
      );
      assert.ok(toDispatch, "the dispatcher got their lead's alert");
      assert.deepEqual(toDispatch.cc, [ADMIN], "the admin inbox is copied");
      for (const lead of [first, second]) {
        const [assignedActivity] = await activities(sql, lead.id, "lead_assigned");
        assert.match(assignedActivity.description, /^Assigned to (Dana Pink|Marco Ruiz)/);
      }
    });
  } finally {
    await sql.end();
  }
});

Deno.test("concurrent leads are shared out evenly: nobody gets two while another is free", async () => {
  const sql = connect({ max: 8 });
  try {
    // No other lead may take a turn meanwhile (the sweep planning one from an earlier test).
    await withSweepPaused(sql, () =>
      withRosterOnShift(sql, async () => {
        const leads = await Promise.all(
          [1, 2, 3, 4, 5, 6].map(() => insertLead(sql, { sms_consent: false })),
        );
        const ids = leads.map((l) => l.id);
        await waitFor("every lead to be assigned", async () => {
          const rows = await assigneesOf(sql, ids);
          return rows.every((r) => r.email !== null) ? rows : undefined;
        });
        // Recorded in the activities too, each naming whose turn it was (waited for: they are
        // logged just after the assignment commits).
        const assignments = await waitFor("an assignment activity for each lead", async () => {
          const rows = await sql<{ email: string }[]>`
            select s.email from public.lead_activities a
            join public.staff_members s on s.id = (a.metadata ->> 'staff_id')::uuid
            where a.lead_id = any (${ids}::uuid[]) and a.activity_type = 'lead_assigned'`;
          return rows.length === ids.length ? rows : undefined;
        });
        const counts = Map.groupBy(assignments, (r) => r.email);
        assert.equal(counts.get(ADMIN)?.length, 3);
        assert.equal(counts.get(DISPATCH)?.length, 3);
      }));
  } finally {
    await sql.end();
  }
});

Deno.test("a high-priority lead texts the on-call person and says so in the alert's subject", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withRosterOnShift(sql, async (onCallPhone) => {
      // Replacement 3, mobile 1, premium make 1, preferred date within 48 hours 2: 7.
      const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
      const lead = await insertLead(sql, {
        vehicle_make: "BMW",
        preferred_date: tomorrow,
        mobile_service: true,
        service_type: "replacement",
      });
      const outbox = await settledOutbox(sql, lead.id, 4);
      assert.equal(outbox.staff_on_call_sms.status, "sent");
      assert.equal(outbox.staff_on_call_sms.recipient, onCallPhone);
      const [{ priority }] = await sql`select priority from public.leads where id = ${lead.id}`;
      assert.equal(priority, "high");
      const text = (await smsTo(onCallPhone)).find((m) => m.body.includes(lead.reference_number));
      assert.ok(text, "the on-call person was texted");
      assert.match(text.body, /^HIGH PRIORITY lead: Jane Doe, 2019 BMW Outback, Replacement\./);
      claimLink(text.body);
      const alert = (await emailsTo(ADMIN)).find((e) =>
        e.html?.includes(lead.reference_number) &&
        e.subject.includes("New Lead")
      );
      assert.ok(alert);
      assert.match(alert.subject, /^🚨 HIGH PRIORITY New Lead: 2019 BMW Outback - Replacement$/);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("the alert's one-tap link records the action once and stops the escalation", async (t) => {
  const sql = connect();
  try {
    await withRosterOnShift(sql, async () => {
      const lead = await insertLead(sql, { sms_consent: false });
      await settledOutbox(sql, lead.id, 3);
      const link = claimLink((await staffAlertOf(lead.reference_number)).html ?? "");
      assert.ok(link.startsWith(`${stack.functionsUrl}/lead-action?t=`));

      await t.step("opening the link (a mail scanner, a preview) records nothing", async () => {
        for (const method of ["GET", "HEAD"]) {
          const res = await fetch(link, { method });
          assert.equal(res.status, 200, method);
          const page = await res.text();
          if (method === "GET") assert.match(page, /<button type="submit">I&#39;m on it/);
        }
        assert.equal((await activities(sql, lead.id, "lead_claimed")).length, 0);
      });
      await t.step(
        "the page's button records lead_claimed in the staff member's name",
        async () => {
          const res = await fetch(link, { method: "POST" });
          const page = await res.text();
          assert.equal(res.status, 200, page);
          assert.match(page, /You&#39;re on it/);
          const [claimed] = await activities(sql, lead.id, "lead_claimed");
          assert.match(claimed.created_by, /^(Dana Pink|Marco Ruiz)$/);
        },
      );
      await t.step("a second tap is refused and changes nothing", async () => {
        const res = await fetch(link, { method: "POST" });
        assert.equal(res.status, 409);
        assert.match(await res.text(), /Already recorded/);
        assert.equal((await activities(sql, lead.id, "lead_claimed")).length, 1);
      });
      await t.step("a forged or mangled link is refused and changes nothing", async () => {
        const token = new URL(link).searchParams.get("t")!;
        const [payload, signature] = token.split(".");
        for (
          const bad of [
            `${payload}x.${signature}`,
            `${payload}.${signature.slice(0, -2)}AA`,
            "not-a-token",
            "",
          ]
        ) {
          const res = await fetch(`${stack.functionsUrl}/lead-action?t=${bad}`, {
            method: "POST",
          });
          assert.equal(res.status, 403, bad);
          await res.body?.cancel();
        }
        assert.equal((await activities(sql, lead.id, "lead_claimed")).length, 1);
      });
      await t.step("past the escalation time, a claimed lead is not escalated", async () => {
        await backdate(sql, lead.id, 16);
        await sweep();
        assert.equal((await activities(sql, lead.id, "lead_escalated")).length, 0);
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a lead nobody acted on is escalated once, 15 minutes after it came in", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withRosterOnShift(sql, async (onCallPhone) => {
      const lead = await insertLead(sql, { sms_consent: false });
      await settledOutbox(sql, lead.id, 3);
      await backdate(sql, lead.id, 14);
      await sweep();
      assert.equal((await activities(sql, lead.id, "lead_escalated")).length, 0, "not yet at 14");
      await backdate(sql, lead.id, 16);
      await Promise.all([sweep(), sweep()]);
      await sweep();
      const escalated = await activities(sql, lead.id, "lead_escalated");
      assert.equal(escalated.length, 1, "escalated once");
      assert.match(escalated[0].description, /no staff action after 16 min/);
      const outbox = await settledOutbox(sql, lead.id, 5);
      assert.equal(outbox.staff_escalation_email.status, "sent");
      assert.equal(outbox.staff_escalation_sms.status, "sent");
      const emails = (await emailsTo(ADMIN)).filter((e) =>
        e.subject.startsWith("⏰ No call yet") && e.subject.includes(lead.reference_number)
      );
      assert.equal(emails.length, 1);
      assert.match(emails[0].subject, /has waited 16 min$/);
      const texts = (await smsTo(onCallPhone)).filter((m) =>
        m.body.startsWith("ESCALATION") && m.body.includes(lead.reference_number)
      );
      assert.equal(texts.length, 1);
      assert.match(texts[0].body, /has waited 16 min with no call/);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a repeated submission confirms the customer once; staff get both alerts, the second marked", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const first = await insertLead(sql);
    await settledOutbox(sql, first.id, 3);
    const again = await insertLead(sql, { email: first.email, phone_e164: first.phone_e164 });
    const outbox = await settledOutbox(sql, again.id, 3);
    const reason = `duplicate_of ${first.reference_number}`;
    assert.equal(outbox.customer_confirmation_email.status, "suppressed");
    assert.equal(outbox.customer_confirmation_email.status_reason, reason);
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, reason);
    assert.equal(outbox.staff_new_lead_email.status, "sent");
    const [{ duplicate_of }] =
      await sql`select duplicate_of from public.leads where id = ${again.id}`;
    assert.equal(duplicate_of, first.id);
    const confirmations = (await emailsTo(first.email)).filter((e) =>
      e.subject.startsWith("We received your request")
    );
    assert.equal(confirmations.length, 1, "one confirmation email");
    assert.equal((await smsTo(first.phone_e164)).length, 1, "one confirmation text");
    const alerts = (await emailsTo(ADMIN)).filter((e) =>
      e.subject.includes("New Lead") &&
      (e.html?.includes(first.reference_number) || e.html?.includes(again.reference_number))
    );
    assert.equal(alerts.length, 2, "two staff alerts");
    const marked = alerts.find((e) => e.html?.includes(again.reference_number))!;
    assert.match(
      marked.subject,
      new RegExp(`possible duplicate of Ref #${first.reference_number}`),
    );
  } finally {
    await sql.end();
  }
});

Deno.test("25 high-priority leads in a second page the on-call phone 6 times, then once with a digest", async () => {
  const sql = connect({ max: 8 });
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withRosterOnShift(sql, async (onCallPhone) => {
      const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
      const leads = await Promise.all(
        Array.from({ length: 25 }, () =>
          insertLead(sql, {
            vehicle_make: "BMW",
            preferred_date: tomorrow,
            sms_consent: false,
          })),
      );
      const ids = leads.map((l) => l.id);
      const pages = await waitFor("every lead's page to be sent or held back", async () => {
        const rows = await sql<{ lead_id: string; status: string; status_reason: string }[]>`
          select lead_id, status, status_reason from public.notifications_outbox
          where lead_id = any (${ids}::uuid[]) and template = 'staff_on_call_sms'`;
        return rows.length === 25 && rows.every((r) => ["sent", "suppressed"].includes(r.status))
          ? rows
          : undefined;
      });
      assert.equal(pages.filter((r) => r.status === "sent").length, 6);
      const held = pages.filter((r) => r.status === "suppressed");
      assert.equal(held.length, 19);
      assert.ok(held.every((r) => r.status_reason === "on_call_hourly_cap (6 per hour)"));
      const texts = await waitFor("the 6 pages to reach the phone", async () => {
        const got = await smsTo(onCallPhone);
        return got.length >= 6 ? got : undefined;
      });
      assert.equal(texts.length, 6, "no more than the cap");

      const alerts = await waitFor("all 25 staff alert emails", async () => {
        const [{ sent }] = await sql`select count(*)::int as sent from public.notifications_outbox
          where lead_id = any (${ids}::uuid[]) and template = 'staff_new_lead_email'
            and status = 'sent'`;
        return sent === 25 ? sent : undefined;
      });
      assert.equal(alerts, 25, "the email still goes for every lead");

      const [digest] = await sql`select * from public.notifications_outbox
        where lead_id = any (${ids}::uuid[]) and template = 'staff_on_call_digest_sms'`;
      assert.equal(digest.status, "deferred");
      assert.equal(digest.recipient, onCallPhone);
      assert.equal(digest.payload.held_back.length, 19);
      assert.ok(
        digest.next_attempt_at.getTime() > Date.now() + 50 * 60_000,
        "it waits for the hour to have room",
      );
      // The hour passes: the digest falls due.
      await sql`update public.notifications_outbox set next_attempt_at = now()
        where id = ${digest.id}`;
      await sweep();
      const sent = await waitFor(
        "the digest text",
        async () => (await smsTo(onCallPhone)).find((m) => m.body.startsWith("HELD BACK")),
      );
      assert.match(
        sent.body,
        /^HELD BACK: 19 more high-priority leads \(texts pause at 6 an hour\)/,
      );
      const heldRefs = leads.filter((l) => held.some((h) => h.lead_id === l.id))
        .map((l) => l.reference_number);
      assert.ok(heldRefs.some((ref) => sent.body.includes(ref)), "it names the Refs held back");
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a page in the on-call person's quiet hours waits while the shop is closed", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withRosterOnShift(sql, async (onCallPhone) => {
      // Quiet from an hour ago to an hour from now, on Dana's clock; the shop keeps no hours.
      await using _quiet = await changeRows(
        sql,
        "staff_members",
        ["quiet_hours_start", "quiet_hours_end"],
        () =>
          sql`update public.staff_members
            set quiet_hours_start = (now() at time zone time_zone - interval '1 hour')::time,
                quiet_hours_end = (now() at time zone time_zone + interval '1 hour')::time
            where email = ${ON_CALL}`,
      );
      const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
      const lead = await insertLead(sql, { vehicle_make: "BMW", preferred_date: tomorrow });
      const outbox = await settledOutbox(sql, lead.id, 4);
      assert.equal(outbox.staff_on_call_sms.status, "deferred");
      assert.equal(outbox.staff_on_call_sms.status_reason, "staff_quiet_hours");
      const waits = outbox.staff_on_call_sms.next_attempt_at.getTime() - Date.now();
      assert.ok(waits > 50 * 60_000 && waits <= 61 * 60_000, `waits ${waits} ms`);
      assert.equal(outbox.staff_new_lead_email.status, "sent", "the email goes at once");
      assert.equal((await smsTo(onCallPhone)).length, 0);
    });
  } finally {
    await sql.end();
  }
});
