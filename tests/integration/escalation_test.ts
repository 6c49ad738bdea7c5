/**
 * planEscalations() against the database, with the moment of the decision given: a lead that
 * came in on a Saturday night while the shop was closed falls due 15 minutes after Monday's
 * opening, and is escalated once. The lead is dated in 2020, out of reach of the stack's own
 * sweep (it looks back 4 days from today).
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { TZDate } from "@date-fns/tz";
import { planEscalations } from "../../shared/notify_lead/escalate.ts";
import type { OutboxRow } from "../../shared/outbox/store.ts";
import { changeSettings } from "../support/shared_state.ts";

await requireStack();

const setup = { adminEmail: "admin@pinkautoglass.com", onCallPhone: "+17205550199" };

Deno.test("planEscalations() starts a closed shop's clock at opening and escalates once", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql, { sms_consent: false });
    await waitFor("the lead to be planned", async () => {
      const [row] =
        await sql`select notifications_planned_at from public.leads where id = ${lead.id}`;
      return row.notifications_planned_at !== null;
    });
    // Saturday Feb 29 2020, 23:00 in Denver; the shop (seed hours) opens Monday at 08:00.
    await sql`update public.leads set created_at = '2020-03-01T06:00:00Z' where id = ${lead.id}`;
    const mine = (rows: OutboxRow[]) => rows.filter((r) => r.lead_id === lead.id);

    const sunday = await planEscalations(sql, { setup, now: new Date("2020-03-01T18:00:00Z") });
    assert.equal(mine(sunday).length, 0, "Sunday: the shop is closed, the clock has not started");
    const early = await planEscalations(sql, { setup, now: new Date("2020-03-02T15:14:00Z") });
    assert.equal(mine(early).length, 0, "Monday 08:14: 14 minutes of opening hours");
    const due = await planEscalations(sql, { setup, now: new Date("2020-03-02T15:15:00Z") });
    assert.deepEqual(
      mine(due).map((
        r,
      ) => [r.template, r.recipient]).sort(),
      [
        ["staff_escalation_email", "admin@pinkautoglass.com"],
        ["staff_escalation_sms", "+17205550199"],
      ],
    );
    const again = await planEscalations(sql, { setup, now: new Date("2020-03-02T15:30:00Z") });
    assert.equal(mine(again).length, 0, "once");
    const [row] = await sql`select escalated_at from public.leads where id = ${lead.id}`;
    assert.equal(row.escalated_at.toISOString(), "2020-03-02T15:15:00.000Z");
    const logged = await sql`select description from public.lead_activities
      where lead_id = ${lead.id} and activity_type = 'lead_escalated'`;
    assert.equal(logged.length, 1);
    assert.equal(logged[0].description, "Escalated: no staff action after 1 day 9 h");
  } finally {
    await sql.end();
  }
});

Deno.test("planEscalations() escalates at most escalations_per_sweep a sweep and escalations_per_hour an hour, newest first", async () => {
  const sql = connect();
  try {
    await using _caps = await changeSettings(sql, {
      escalations_per_sweep: 2,
      escalations_per_hour: 3,
    });
    // A Monday 09:00 in Denver, some week of 2021–2028: its own hour, whatever earlier runs did.
    const monday = new Date(
      Date.UTC(2021, 0, 4) + 7 * 86_400_000 * Math.floor(Math.random() * 400),
    );
    const nine = new Date(
      new TZDate(
        monday.getUTCFullYear(),
        monday.getUTCMonth(),
        monday.getUTCDate(),
        9,
        0,
        0,
        "America/Denver",
      )
        .getTime(),
    );
    const leads = await Promise.all(
      [1, 2, 3, 4].map(() => insertLead(sql, { sms_consent: false })),
    );
    const ids = leads.map((l) => l.id);
    await waitFor("the leads to be planned", async () => {
      const rows = await sql`select 1 from public.leads
        where id = any (${ids}::uuid[]) and notifications_planned_at is not null`;
      return rows.length === 4;
    });
    // Came in at 09:00, 09:01, 09:02, 09:03.
    for (const [i, id] of ids.entries()) {
      await sql`update public.leads set created_at = ${new Date(nine.getTime() + i * 60_000)}
        where id = ${id}`;
    }
    const escalatedNow = async (at: Date) => {
      const rows = await planEscalations(sql, { setup, now: at });
      return [...new Set(rows.filter((r) => ids.includes(r.lead_id!)).map((r) => r.lead_id))]
        .sort();
    };
    const at = (minutes: number) => new Date(nine.getTime() + minutes * 60_000);
    assert.deepEqual(
      await escalatedNow(at(20)),
      [ids[3], ids[2]].sort(),
      "2 a sweep, newest first",
    );
    assert.deepEqual(await escalatedNow(at(21)), [ids[1]], "the third of the hour");
    assert.deepEqual(await escalatedNow(at(22)), [], "the hour is full");
    assert.deepEqual(await escalatedNow(at(81)), [ids[0]], "an hour later, the last");
  } finally {
    await sql.end();
  }
});
