/**
 * Appointments against the running stack: staff type one line in the SQL editor, the
 * customer gets a confirmation with a calendar invite an independent parser reads back, an
 * update or a cancellation when it changes, and one reminder per version from send-reminders.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import ICAL from "ical.js";
import type postgres from "postgres";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import { smsWindowAlwaysOpen, WEBHOOK_SECRET } from "../support/notify_lead.ts";
import { changeFunctionEnv, changeSettings } from "../support/shared_state.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();
const ZONE = "America/Denver";

/** "YYYY-MM-DD HH:MM" in Denver, `days` from today at `hh:mm`. */
async function denverAt(sql: postgres.Sql, days: number, hhmm: string): Promise<string> {
  const [{ day }] = await sql`
    select to_char((now() at time zone ${ZONE})::date + ${days}::int, 'YYYY-MM-DD') as day`;
  return `${day} ${hhmm}`;
}

/** The instant of a Denver wall-clock time (as the database reads it). */
async function instantOf(sql: postgres.Sql, local: string): Promise<Date> {
  const [{ at }] = await sql`select (${local}::timestamp at time zone ${ZONE}) as at`;
  return at;
}

async function schedule(sql: postgres.Sql, ref: string, start: string, window: string) {
  const [{ said }] = await sql`
    select public.schedule_appointment(${ref}, ${start}, ${window}, 'Ava Chen') as said`;
  return said as string;
}

/** The outbox rows of a lead's appointment messages, by key suffix ("v1:…_email"). */
async function appointmentRows(sql: postgres.Sql, leadId: string) {
  const rows = await sql`select key, status, status_reason, next_attempt_at, payload
    from public.notifications_outbox where lead_id = ${leadId} and key like 'appt:%' order by id`;
  return Object.fromEntries(rows.map((r) => [(r.key as string).replace(/^appt:[^:]+:/, ""), r]));
}

/** Waits until every listed message of the lead is sent. */
async function sentAll(sql: postgres.Sql, leadId: string, keys: string[]) {
  return await waitFor(`${keys.join(", ")} to be sent`, async () => {
    const rows = await appointmentRows(sql, leadId);
    return keys.every((k) => rows[k]?.status === "sent") ? rows : undefined;
  }, { timeoutMs: 20_000 });
}

/**
 * A lead's appointment message once it exists. pg_cron also runs send-reminders every minute,
 * and a run that holds the appointment makes ours skip it: the row comes from one of them.
 */
async function rowOnce(sql: postgres.Sql, leadId: string, key: string) {
  return await waitFor(`${key} to be planned`, async () => {
    const row = (await appointmentRows(sql, leadId))[key];
    return row && row.status !== "pending" ? row : undefined;
  });
}

async function sendReminders() {
  const res = await fetch(`${stack.functionsUrl}/send-reminders`, {
    method: "POST",
    headers: { "x-webhook-secret": WEBHOOK_SECRET, "content-type": "application/json" },
    body: "{}",
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** The `.ics` an email carries, parsed by ical.js. */
function inviteOf(email: { attachments?: { content: string | null }[] | null }) {
  const [attachment] = email.attachments ?? [];
  assert.ok(attachment?.content, "the email carries an invite");
  const text = Buffer.from(attachment.content, "base64").toString("utf8");
  const calendar = new ICAL.Component(ICAL.parse(text));
  const event = calendar.getFirstSubcomponent("vevent")!;
  const time = (name: string) => event.getFirstPropertyValue(name) as ICAL.Time;
  return {
    method: calendar.getFirstPropertyValue("method"),
    uid: event.getFirstPropertyValue("uid"),
    sequence: event.getFirstPropertyValue("sequence"),
    status: event.getFirstPropertyValue("status"),
    summary: event.getFirstPropertyValue("summary"),
    location: event.getFirstPropertyValue("location"),
    tzid: time("dtstart").zone?.tzid,
    start: time("dtstart").toJSDate(),
    end: time("dtend").toJSDate(),
  };
}

/** Emails to `address` whose subject starts with `prefix`. */
async function emailsStarting(address: string | null, prefix: string) {
  return (await emailsTo(address)).filter((e) => e.subject.startsWith(prefix));
}

Deno.test("scheduling sends the confirmation email with an invite ical.js reads back, and the SMS", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    const start = await denverAt(sql, 3, "09:00");
    const said = await schedule(sql, lead.reference_number, start, "9-11 am");
    assert.match(said, new RegExp(`^Scheduled Jane Doe \\(${lead.reference_number}\\)`));
    await sentAll(sql, lead.id, [
      "v1:appointment_confirmation_email",
      "v1:appointment_confirmation_sms",
    ]);

    const [email] = await emailsStarting(lead.email, "Appointment Confirmed - ");
    assert.match(email.subject, /^Appointment Confirmed - \w{3}, \w{3} \d{1,2} at 9:00 AM$/);
    for (
      const part of [
        /Ava Chen/,
        /1500 Blake St, Denver, CO 80202/,
        /Before we arrive/,
        /\(720\) 918-7465/,
      ]
    ) {
      assert.match(email.text ?? "", part);
    }
    const invite = inviteOf(email);
    const [appointment] = await sql`select id from public.appointments where lead_id = ${lead.id}`;
    assert.deepEqual(
      { ...invite, start: invite.start.toISOString(), end: invite.end.toISOString() },
      {
        method: "REQUEST",
        uid: `${appointment.id}@pinkautoglass.com`,
        sequence: 1,
        status: "CONFIRMED",
        summary: "Windshield replacement - Pink Auto Glass",
        location: "1500 Blake St, Denver, CO 80202",
        tzid: ZONE,
        start: (await instantOf(sql, start)).toISOString(),
        end: (await instantOf(sql, start.replace("09:00", "11:00"))).toISOString(),
      },
    );
    const [sms] = (await smsTo(lead.phone_e164)).filter((m) => m.body.startsWith("Your "));
    assert.ok(sms, "the confirmation SMS went");
    assert.match(
      sms.body,
      /^Your windshield replacement is confirmed for \w{3}, \w{3} \d{1,2} between 9-11 am at 1500 Blake St/,
    );
    assert.match(sms.body, /Your technician is Ava Chen\./);
    assert.match(sms.body, /Reply STOP to opt-out$/);

    const [activity] = await sql`select metadata from public.lead_activities
      where lead_id = ${lead.id} and activity_type = 'appointment_scheduled'`;
    assert.equal(activity.metadata.technician, "Ava Chen");
    assert.equal(activity.metadata.version, 1);
  } finally {
    await sql.end();
  }
});

Deno.test("rescheduling sends an update with the same UID and a higher SEQUENCE, and a reminder for the new time only", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    const first = await denverAt(sql, 2, "14:00");
    await schedule(sql, lead.reference_number, first, "2-4 pm");
    await sentAll(sql, lead.id, ["v1:appointment_confirmation_email"]);
    await sendReminders();
    assert.equal((await rowOnce(sql, lead.id, "v1:appointment_reminder_sms")).status, "deferred");

    const moved = await denverAt(sql, 3, "10:30");
    const said = await schedule(sql, lead.reference_number, moved, "10:30 am-12:30 pm");
    assert.match(said, /^Moved the appointment of Jane Doe/);
    await sentAll(sql, lead.id, [
      "v2:appointment_confirmation_email",
      "v2:appointment_confirmation_sms",
    ]);
    await sendReminders();
    await sendReminders();
    await rowOnce(sql, lead.id, "v2:appointment_reminder_sms");

    const rows = await appointmentRows(sql, lead.id);
    assert.equal(rows["v1:appointment_reminder_sms"].status, "suppressed");
    assert.equal(rows["v1:appointment_reminder_sms"].status_reason, "superseded by version 2");
    assert.equal(rows["v2:appointment_reminder_sms"].status, "deferred");
    assert.equal(
      rows["v2:appointment_reminder_sms"].next_attempt_at.toISOString(),
      new Date((await instantOf(sql, moved)).getTime() - 24 * 3600_000).toISOString(),
    );
    const reminders = Object.keys(rows).filter((k) => k.endsWith("appointment_reminder_sms"));
    assert.deepEqual(reminders.sort(), [
      "v1:appointment_reminder_sms",
      "v2:appointment_reminder_sms",
    ]);

    const [confirmed] = await emailsStarting(lead.email, "Appointment Confirmed - ");
    const [updated] = await emailsStarting(lead.email, "Appointment Updated - ");
    assert.match(updated.subject, / at 10:30 AM$/);
    const before = inviteOf(confirmed);
    const after = inviteOf(updated);
    assert.equal(after.uid, before.uid);
    assert.deepEqual([before.sequence, after.sequence], [1, 2]);
    assert.equal(after.start.toISOString(), (await instantOf(sql, moved)).toISOString());
    const texts = await smsTo(lead.phone_e164);
    assert.ok(
      texts.some((m) => m.body.startsWith("Your windshield replacement has been moved to")),
    );
  } finally {
    await sql.end();
  }
});

Deno.test("cancelling sends a cancellation whose invite removes the event, and no reminder", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    await schedule(sql, lead.reference_number, await denverAt(sql, 2, "15:00"), "3-5 pm");
    await sentAll(sql, lead.id, ["v1:appointment_confirmation_email"]);
    await sendReminders();
    await rowOnce(sql, lead.id, "v1:appointment_reminder_sms");
    const [{ said }] = await sql`
      select public.cancel_appointment(${lead.reference_number}, 'Customer sold the car') as said`;
    assert.match(said, /^Cancelled the appointment of Jane Doe/);
    await sentAll(sql, lead.id, [
      "v2:appointment_cancellation_email",
      "v2:appointment_cancellation_sms",
    ]);
    await sendReminders();

    const rows = await appointmentRows(sql, lead.id);
    assert.equal(rows["v1:appointment_reminder_sms"].status, "suppressed");
    assert.ok(!Object.keys(rows).some((k) => k.startsWith("v2:appointment_reminder")));
    const [email] = await emailsStarting(lead.email, "Appointment Cancelled - ");
    assert.match(email.text ?? "", /Customer sold the car/);
    const invite = inviteOf(email);
    assert.deepEqual([invite.method, invite.status, invite.sequence], ["CANCEL", "CANCELLED", 2]);
    const [sms] = (await smsTo(lead.phone_e164)).filter((m) => m.body.includes("is cancelled"));
    assert.match(sms.body, /To book again, call Pink Auto Glass at \(720\) 918-7465\./);
    const [{ status }] =
      await sql`select status from public.appointments where lead_id = ${lead.id}`;
    assert.equal(status, "cancelled");
  } finally {
    await sql.end();
  }
});

/**
 * An appointment made two days ago that now starts in just under 24 hours: its reminder is
 * due at once. (Scheduled five days ahead first, where no one plans its reminder yet.)
 */
async function dueForReminder(sql: postgres.Sql, lead: { id: string; reference_number: string }) {
  await schedule(sql, lead.reference_number, await denverAt(sql, 5, "10:00"), "10-12 am");
  await sentAll(sql, lead.id, ["v1:appointment_confirmation_email"]);
  await sql`update public.appointments
    set starts_at = now() + interval '23 hours 59 minutes', ends_at = now() + interval '26 hours',
        changed_at = now() - interval '2 days'
    where lead_id = ${lead.id}`;
}

Deno.test("the reminder goes once across repeated and concurrent send-reminders calls", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    await dueForReminder(sql, lead);
    await Promise.all([1, 2, 3, 4, 5].map(() => sendReminders()));
    await sendReminders();
    const rows = await sentAll(sql, lead.id, ["v1:appointment_reminder_sms"]);
    assert.ok(!rows["v1:appointment_reminder_email"], "no email when the SMS can go");
    const reminders = (await smsTo(lead.phone_e164)).filter((m) => m.body.startsWith("Reminder:"));
    assert.equal(reminders.length, 1);
    assert.match(
      reminders[0].body,
      /^Reminder: your windshield replacement with Pink Auto Glass is \w{3}, \w{3} \d{1,2} between 10-12 am at 1500 Blake St, Denver, CO 80202\.\nTechnician: Ava Chen\. To reschedule, call \(720\) 918-7465\.\n\nReply STOP to opt-out$/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("one send-reminders request plans at most REMINDERS_PER_REQUEST and hands the rest on to a request of its own", async () => {
  const sql = connect();
  try {
    await using _perRequest = await changeFunctionEnv("send-reminders", {
      REMINDERS_PER_REQUEST: "1",
    });
    await using _window = await smsWindowAlwaysOpen(sql);
    const leads = [await insertLead(sql), await insertLead(sql), await insertLead(sql)];
    for (const lead of leads) await dueForReminder(sql, lead);
    const answer = await sendReminders();
    // pg_cron's run may hold some of them: never more than one, and "more" when it took one.
    assert.ok(answer.appointments_planned <= 1, JSON.stringify(answer));
    if (answer.appointments_planned === 1) assert.equal(answer.more, true);
    for (const lead of leads) await sentAll(sql, lead.id, ["v1:appointment_reminder_sms"]);
    for (const lead of leads) {
      const reminders = (await smsTo(lead.phone_e164)).filter((m) =>
        m.body.startsWith("Reminder:")
      );
      assert.equal(reminders.length, 1);
    }
  } finally {
    await sql.end();
  }
});

Deno.test("a customer without SMS consent gets the reminder by email", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql, { sms_consent: false });
    await dueForReminder(sql, lead);
    await sendReminders();
    const rows = await sentAll(sql, lead.id, ["v1:appointment_reminder_email"]);
    assert.equal(rows["v1:appointment_reminder_sms"].status, "suppressed");
    assert.equal(rows["v1:appointment_reminder_sms"].status_reason, "no_sms_consent");
    const [email] = await emailsStarting(lead.email, "Reminder: your appointment on ");
    assert.match(email.text ?? "", /Ava Chen/);
    assert.deepEqual(await smsTo(lead.phone_e164), []);
  } finally {
    await sql.end();
  }
});

Deno.test("a reminder whose 24-hour mark is in quiet hours waits until the last allowed minute before it", async () => {
  const sql = connect();
  try {
    // Texts allowed 9 am to 8 pm: an 08:30 appointment's mark (08:30 the day before) is quiet.
    await using _window = await changeSettings(sql, {
      sms_window_start_hour: 9,
      sms_window_end_hour: 20,
    });
    const lead = await insertLead(sql);
    // The mark is 24 hours before the start, not the same clock time the day before: across a
    // change of daylight time it is 07:30 or 09:30. The first day from the third whose mark
    // is before 9 am, whatever day the test runs on.
    let found: { start: string; evening: Date } | undefined;
    for (let days = 3; !found; days++) {
      const start = await denverAt(sql, days, "08:30");
      const [mark] = await sql`
        select (m at time zone ${ZONE})::time < '09:00' as quiet,
          (((m at time zone ${ZONE})::date - 1) + time '19:59') at time zone ${ZONE} as evening
        from (select (${start}::timestamp at time zone ${ZONE}) - interval '24 hours' as m) t`;
      if (mark.quiet) found = { start, evening: mark.evening };
    }
    await schedule(sql, lead.reference_number, found.start, "8:30-10:30 am");
    // Planning the confirmation holds the appointment; a reminder run meanwhile skips it.
    await sentAll(sql, lead.id, ["v1:appointment_confirmation_email"]);
    await sendReminders();
    const reminder = await rowOnce(sql, lead.id, "v1:appointment_reminder_sms");
    assert.equal(reminder.status, "deferred");
    assert.equal(
      reminder.next_attempt_at.toISOString(),
      found.evening.toISOString(),
      "19:59 the evening before the mark",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("an appointment made less than 24 hours ahead gets no reminder, with the reason recorded", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    // Five days ahead no one plans its reminder yet; then it is as if made 20 hours ahead.
    await schedule(sql, lead.reference_number, await denverAt(sql, 5, "10:00"), "10-12 am");
    await sentAll(sql, lead.id, ["v1:appointment_confirmation_email"]);
    await sql`update public.appointments
      set starts_at = now() + interval '20 hours', ends_at = now() + interval '22 hours'
      where lead_id = ${lead.id}`;
    await sendReminders();
    const reminder = await rowOnce(sql, lead.id, "v1:appointment_reminder_sms");
    assert.equal(reminder.status, "suppressed");
    assert.equal(reminder.status_reason, "scheduled_within_24h");
  } finally {
    await sql.end();
  }
});

Deno.test("pg_cron runs send-reminders every minute, authenticated from Vault", async () => {
  const sql = connect();
  try {
    const [job] = await sql`select schedule, command from cron.job
                            where jobname = 'leadwire-send-reminders'`;
    assert.equal(job.schedule, "* * * * *");
    const [{ since }] = await sql`select now() as since`;
    // What the job runs, run now rather than waiting for the next minute.
    await sql.unsafe(job.command);
    const response = await waitFor(
      "send-reminders' answer",
      async () =>
        (await sql`select status_code, content from net._http_response
                 where created >= ${since} and content like '%appointments_planned%'
                   and content not like '%dead_lettered%'
                 order by created desc limit 1`)[0],
      { timeoutMs: 30_000 },
    );
    assert.equal(response.status_code, 200, response.content);
  } finally {
    await sql.end();
  }
});

Deno.test("send-reminders checks the secret before anything else (a GET without it gets 401) and refuses a body over 64 KB", async () => {
  const res = await fetch(`${stack.functionsUrl}/send-reminders`);
  assert.equal(res.status, 401);
  assert.match((await res.json()).error, /Missing x-webhook-secret/);
  const wrongMethod = await fetch(`${stack.functionsUrl}/send-reminders`, {
    headers: { "x-webhook-secret": WEBHOOK_SECRET },
  });
  assert.equal(wrongMethod.status, 405);
  await wrongMethod.body?.cancel();
  const huge = await fetch(`${stack.functionsUrl}/send-reminders`, {
    method: "POST",
    headers: { "x-webhook-secret": WEBHOOK_SECRET, "content-type": "application/json" },
    body: `{"x":"${"a".repeat(100 * 1024)}"}`,
  });
  assert.equal(huge.status, 413);
  assert.match((await huge.json()).error, /larger than 65536 bytes/);
});
