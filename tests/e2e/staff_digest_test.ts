/**
 * The staff digest through the running functions: a burst of leads for one staff member gives
 * them 5 alerts and one digest naming the rest, while a high-priority lead among them still
 * pages the on-call phone at once. The test has a staff member of its own (the only one taking
 * leads and on call while it runs) and counts only what reached that member's email and phone;
 * the digest's window is passed by moving its own digest's time, never by waiting.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import { earlierLeadsPlanned, sweep } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";
import { changeRows, changeSettings } from "../support/shared_state.ts";

await requireStack();

type Sql = ReturnType<typeof connect>;

/**
 * Runs `body` with a staff member of its own taking every lead and on call around the clock
 * (nobody else takes leads or is on call), and the shipped digest limits (5 alerts in 10
 * minutes; the test stack raises them for the other tests). Puts back the roster and the
 * settings afterwards, and removes the member.
 */
async function withOwnStaffMember(
  sql: Sql,
  body: (member: { id: string; email: string; phone: string }) => Promise<void>,
) {
  const email = `digest.${crypto.randomUUID().slice(0, 8)}@example.com`;
  const phone = uniquePhone();
  // Leads earlier tests left in flight would be this member's once the roster changes.
  await earlierLeadsPlanned(sql);
  await using _roster = await changeRows(
    sql,
    "staff_members",
    ["receives_lead_alerts", "on_call"],
    () => sql`update public.staff_members set receives_lead_alerts = false, on_call = false`,
  );
  await using _limits = await changeSettings(sql, {
    staff_alerts_per_window: 5,
    staff_alert_window_minutes: 10,
  });
  const [{ id }] = await sql`
    insert into public.staff_members
      (full_name, email, phone_e164, role, receives_lead_alerts, on_call, working_hours)
    values ('Digest Tester', ${email}, ${phone}, 'dispatcher', true, true, null)
    returning id`;
  try {
    await body({ id, email, phone });
  } finally {
    await sql`delete from public.staff_members where id = ${id}`;
  }
}

Deno.test("12 leads for one staff member in 2 minutes give 5 alerts and 1 digest naming the other 7; the high-priority one is texted at once", async () => {
  const sql = connect({ max: 4 });
  try {
    await withOwnStaffMember(sql, async (member) => {
      const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString().slice(0, 10);
      const leads = [];
      for (let i = 0; i < 12; i++) {
        // The 8th is high priority (premium make, wanted tomorrow).
        leads.push(
          await insertLead(
            sql,
            i === 7 ? { vehicle_make: "BMW", preferred_date: tomorrow, first_name: "Hana" } : {},
          ),
        );
        if (i === 4) {
          // The first 5 planned before the rest come in: the high-priority lead is past them.
          const first = leads.map((l) => l.id);
          await waitFor("the first 5 leads to be planned", async () => {
            const [{ planned }] = await sql`select count(*)::int as planned from public.leads
              where id = any (${first}::uuid[]) and notifications_planned_at is not null`;
            return planned === 5 || undefined;
          });
        }
      }
      const ids = leads.map((l) => l.id);
      const high = leads[7];

      const alerts = await waitFor("every lead's staff alert to be sent or gathered", async () => {
        const rows = await sql<
          { lead_id: string; status: string; status_reason: string | null; recipient: string }[]
        >`
          select lead_id, status, status_reason, recipient from public.notifications_outbox
          where lead_id = any (${ids}::uuid[]) and template = 'staff_new_lead_email'`;
        return rows.length === 12 && rows.every((r) => ["sent", "suppressed"].includes(r.status))
          ? rows
          : undefined;
      }, { timeoutMs: 30_000 });
      assert.ok(alerts.every((r) => r.recipient === member.email), "every lead is the member's");
      assert.equal(alerts.filter((r) => r.status === "sent").length, 5);
      const gathered = alerts.filter((r) => r.status === "suppressed");
      assert.equal(gathered.length, 7);
      assert.ok(
        gathered.every((r) => r.status_reason === "in_staff_digest (5 per 10 minutes)"),
        JSON.stringify(gathered.map((r) => r.status_reason)),
      );

      const page = await waitFor(
        "the high-priority lead's on-call text",
        async () => (await smsTo(member.phone)).find((m) => m.body.includes(high.reference_number)),
      );
      assert.ok(page, "texted at once, not held for the digest");

      const singles = await waitFor("the 5 alert emails", async () => {
        const got = (await emailsTo(member.email)).filter((e) => e.subject.includes("New Lead"));
        return got.length >= 5 ? got : undefined;
      });
      assert.equal(singles.length, 5);

      const digests = await sql`select * from public.notifications_outbox
        where recipient = ${member.email} and template = 'staff_digest_email'`;
      assert.equal(digests.length, 1, "one digest");
      const [digest] = digests;
      assert.equal(digest.status, "deferred");
      assert.equal(digest.status_reason, "staff_digest_window");
      assert.ok(
        digest.next_attempt_at.getTime() > Date.now() + 9 * 60_000,
        "it waits for the window to pass",
      );
      const heldIds = new Set(gathered.map((r) => r.lead_id));
      assert.deepEqual(
        new Set((digest.payload.gathered as { lead_id: string }[]).map((g) => g.lead_id)),
        heldIds,
        "it names exactly the gathered leads",
      );

      // The window passes: the digest falls due and the sweep sends it.
      await sql`update public.notifications_outbox set next_attempt_at = now()
        where id = ${digest.id}`;
      await sweep();
      const sent = await waitFor(
        "the digest email",
        async () =>
          (await emailsTo(member.email)).find((e) =>
            e.subject === "🚨 7 new leads in the last 10 minutes (1 high priority)"
          ),
      );
      const heldLeads = leads.filter((l) => heldIds.has(l.id));
      for (const lead of heldLeads) {
        assert.ok(sent.html?.includes(lead.reference_number), `names ${lead.reference_number}`);
        assert.ok(sent.html?.includes(`tel:${lead.phone_e164}`), "with its call button");
      }
      const links = sent.html?.match(/\/lead-action\?t=/g) ?? [];
      assert.equal(links.length, 14, 'an "I\'m on it" and an "I called them" link per lead');
      assert.ok(sent.html?.includes("HIGH PRIORITY"), "the high-priority lead is marked");

      const [{ status }] = await sql`select status from public.notifications_outbox
        where id = ${digest.id}`;
      assert.equal(status, "sent");
      assert.equal(
        (await emailsTo(member.email)).length,
        6,
        "5 alerts and 1 digest, nothing else",
      );
    });
  } finally {
    await sql.end();
  }
});
