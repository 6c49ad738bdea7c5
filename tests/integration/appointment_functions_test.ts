/**
 * The one-line dashboard functions staff use: schedule_appointment, cancel_appointment and
 * the window reader behind them. Bad input is refused with the message an admin reads.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";

await requireStack();

/** Fails unless `query` is refused with a message matching `message` (exactly what psql shows). */
async function refused(query: Promise<unknown>, message: RegExp) {
  await assert.rejects(query, (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

Deno.test("parse_time_window() reads the windows staff type, and refuses the rest", async (t) => {
  const sql = connect();
  try {
    const read: Array<[string, string, string]> = [
      ["9-11 am", "09:00", "11:00"],
      ["9 am - 11 am", "09:00", "11:00"],
      ["1-3 pm", "13:00", "15:00"],
      ["11-1 pm", "11:00", "13:00"],
      ["10-12 am", "10:00", "12:00"],
      ["10-12 pm", "10:00", "12:00"],
      ["12-2 pm", "12:00", "14:00"],
      ["9:30-11:30 AM", "09:30", "11:30"],
      ["8 am to 12 pm", "08:00", "12:00"],
      ["13:00-15:00", "13:00", "15:00"],
      ["9–11am", "09:00", "11:00"],
    ];
    for (const [window, starts, ends] of read) {
      await t.step(`"${window}" is ${starts} to ${ends}`, async () => {
        const [row] = await sql`
          select to_char(starts, 'HH24:MI') as starts, to_char(ends, 'HH24:MI') as ends
          from public.parse_time_window(${window})`;
        assert.deepEqual({ ...row }, { starts, ends });
      });
    }
    const unreadable: Array<[string, RegExp]> = [
      ["soon", /^Cannot read the window "soon": write it like "9-11 am"/],
      ["11-9 am", /^The window "11-9 am" ends \(09:00\) before it starts \(11:00\)$/],
      ["25-26", /^The window "25-26" has an hour or minute that does not exist$/],
      ["9:75-11 am", /has an hour or minute that does not exist/],
      ["3-3 pm", /ends \(15:00\) before it starts \(15:00\)/],
    ];
    for (const [window, message] of unreadable) {
      await t.step(`"${window}" is refused`, async () => {
        await refused(sql`select * from public.parse_time_window(${window})`, message);
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("schedule_appointment() refuses bad input with a message an admin understands", async (t) => {
  const sql = connect();
  try {
    const lead = await insertLead(sql);
    const [{ day }] = await sql`
      select to_char((now() at time zone 'America/Denver')::date + 3, 'YYYY-MM-DD') as day`;
    const ok = {
      ref: lead.reference_number,
      start: `${day} 09:00`,
      window: "9-11 am",
      tech: "Ava Chen",
    };
    const cases: Array<[string, Partial<typeof ok>, RegExp]> = [
      [
        "an unknown Ref",
        { ref: "PAG-000000-0000" },
        /^No lead has the reference number "PAG-000000-0000"$/,
      ],
      [
        "a start in the past",
        { start: "2020-01-01 09:00" },
        /^The start Wed 2020-01-01 09:00 is in the past \(it is now .* in America\/Denver\)$/,
      ],
      [
        "a start without a time",
        { start: day },
        /^Give the start with a time, like '2026-11-27 09:00' \(shop time, America\/Denver\)/,
      ],
      [
        "a start that is no date",
        { start: "someday 09:00" },
        /^Cannot read the start "someday 09:00"/,
      ],
      [
        "an unknown technician",
        { tech: "Bob" },
        /^No active staff member is named "Bob": choose one of Ava Chen, Dana Pink, Marco Ruiz, Sam Okafor$/,
      ],
      [
        "a window that ends before it starts",
        { window: "11-9 am" },
        /^The window "11-9 am" ends \(09:00\) before it starts \(11:00\)$/,
      ],
      [
        "a start outside its window",
        { window: "1-3 pm" },
        /^The start 09:00 is not inside the window "1-3 pm" \(13:00 to 15:00\)$/,
      ],
    ];
    for (const [name, change, message] of cases) {
      await t.step(name, async () => {
        const c = { ...ok, ...change };
        await refused(
          sql`select public.schedule_appointment(${c.ref}, ${c.start}, ${c.window}, ${c.tech})`,
          message,
        );
      });
    }
    await t.step("nothing was recorded", async () => {
      const rows = await sql`select 1 from public.appointments where lead_id = ${lead.id}`;
      assert.equal(rows.length, 0);
    });
    await t.step("an offset in the start is honoured; a first name is enough", async () => {
      const [{ said }] = await sql`select public.schedule_appointment(
        ${lead.reference_number.toLowerCase()}, ${`${day} 16:00Z`}, '9-11 am', 'sam') as said`;
      assert.match(said, /with Sam Okafor at 1500 Blake St, Denver, CO 80202\. Version 1;/);
      const [a] = await sql`select starts_at, technician_name from public.appointments
                            where lead_id = ${lead.id}`;
      assert.equal(a.starts_at.toISOString(), `${day}T16:00:00.000Z`);
    });
    await t.step("cancelling twice is refused the second time", async () => {
      await sql`select public.cancel_appointment(${lead.reference_number})`;
      await refused(
        sql`select public.cancel_appointment(${lead.reference_number})`,
        new RegExp(`^Lead ${lead.reference_number} has no scheduled appointment to cancel$`),
      );
    });
  } finally {
    await sql.end();
  }
});
