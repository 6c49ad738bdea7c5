import assert from "node:assert/strict";
import { type PlanFacts, planMessages } from "../../shared/messages/plan.ts";
import { planReminder } from "../../shared/appointments/reminder_time.ts";
import { CATALOG, isLeadKind } from "../../shared/messages/catalog.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import type { EmailMessage } from "../../shared/channels/email.ts";
import type { SmsMessage } from "../../shared/channels/sms.ts";
import { smsCost } from "../../templates/sms/segments.ts";
import { makeAppointment, makeLead, makeSettings } from "./_fixtures.ts";

// 10:00 in Denver on Wed Nov 25 2026.
const now = new Date("2026-11-25T17:00:00Z");
const lead = makeLead();
const appointment = makeAppointment();

function facts(overrides: Partial<PlanFacts> = {}): PlanFacts {
  return {
    setup: { adminEmail: "admin@pinkautoglass.com" },
    smsConsent: { state: "opted_in", since: null },
    smsUnreachable: null,
    smsSentLast24h: 0,
    smsSpend: { spentUsd: 0, budgetUsd: 50 },
    settings: makeSettings({ sms_window_start_hour: 8, sms_window_end_hour: 20 }),
    now,
    appointment,
    ...overrides,
  };
}

const summary = (plan: ReturnType<typeof planMessages>) =>
  plan.map((m) => [m.key, m.suppressedReason, m.deferredUntil?.toISOString() ?? null]);

Deno.test("an appointment's messages are keyed by its version, so each version is planned once", () => {
  const moved = makeAppointment({ version: 2, rescheduled: true });
  assert.deepEqual(
    summary(planMessages("appointment_scheduled", lead, facts({ appointment: moved }))),
    [
      [`appt:${appointment.appointment_id}:v2:appointment_confirmation_email`, null, null],
      [`appt:${appointment.appointment_id}:v2:appointment_confirmation_sms`, null, null],
    ],
  );
  assert.deepEqual(
    summary(
      planMessages(
        "appointment_cancelled",
        lead,
        facts({ smsConsent: { state: "none", since: null } }),
      ),
    ),
    [
      [`appt:${appointment.appointment_id}:v1:appointment_cancellation_email`, null, null],
      [
        `appt:${appointment.appointment_id}:v1:appointment_cancellation_sms`,
        "no_sms_consent",
        null,
      ],
    ],
  );
});

Deno.test("planReminder() texts at the reminder time, emails instead when it cannot text, or records why not", async (t) => {
  const key = (kind: string) => `appt:${appointment.appointment_id}:v1:${kind}`;
  const made = makeAppointment({ changed_at: new Date("2026-11-20T17:00:00Z") });
  await t.step("consent: the SMS waits until 24 h before", () => {
    assert.deepEqual(summary(planReminder(lead, { ...facts(), appointment: made })), [
      [key("appointment_reminder_sms"), null, "2026-11-26T16:00:00.000Z"],
    ]);
  });
  await t.step("no consent: the SMS is suppressed and the email waits instead", () => {
    assert.deepEqual(
      summary(
        planReminder(lead, {
          ...facts({ smsConsent: { state: "none", since: null } }),
          appointment: made,
        }),
      ),
      [
        [key("appointment_reminder_sms"), "no_sms_consent", null],
        [key("appointment_reminder_email"), null, "2026-11-26T16:00:00.000Z"],
      ],
    );
  });
  await t.step("made less than 24 h ahead: the SMS alone, suppressed with the reason", () => {
    const late = new Date("2026-11-26T20:00:00Z");
    assert.deepEqual(
      summary(
        planReminder(lead, {
          ...facts({ now: late }),
          appointment: makeAppointment({ changed_at: late }),
        }),
      ),
      [[key("appointment_reminder_sms"), "scheduled_within_24h", null]],
    );
  });
});

function ctx(overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    lead,
    settings: makeSettings(),
    recipient: lead.email!,
    photoUrls: [],
    priority: "normal",
    setup: { adminEmail: "admin@pinkautoglass.com" },
    now: new Date("2026-11-25T16:31:30Z"),
    appointment,
    ...overrides,
  };
}

Deno.test("appointment emails name the day and time in their subject and carry their invite", async (t) => {
  const cases: Array<[keyof typeof CATALOG, Partial<RenderContext>, string, string | null]> = [
    [
      "appointment_confirmation_email",
      {},
      "Appointment Confirmed - Fri, Nov 27 at 9:00 AM",
      "REQUEST",
    ],
    [
      "appointment_confirmation_email",
      { appointment: makeAppointment({ version: 2, rescheduled: true }) },
      "Appointment Updated - Fri, Nov 27 at 9:00 AM",
      "REQUEST",
    ],
    [
      "appointment_cancellation_email",
      { appointment: makeAppointment({ version: 3, status: "cancelled" }) },
      "Appointment Cancelled - Fri, Nov 27 at 9:00 AM",
      "CANCEL",
    ],
    [
      "appointment_reminder_email",
      {},
      "Reminder: your appointment on Fri, Nov 27 at 9:00 AM",
      null,
    ],
  ];
  for (const [kind, overrides, subject, method] of cases) {
    await t.step(subject, async () => {
      const entry = CATALOG[kind];
      assert.ok(isLeadKind(entry));
      const email = await entry.render(ctx(overrides)) as EmailMessage;
      assert.equal(email.subject, subject);
      assert.match(email.text, /Ava Chen/);
      assert.match(email.text, /123 Main St, Denver, CO 80202/);
      const [invite] = email.attachments ?? [];
      if (method === null) return assert.equal(invite, undefined);
      assert.equal(invite.contentType, `text/calendar; charset=utf-8; method=${method}`);
      assert.match(atob(invite.content), new RegExp(`METHOD:${method}`));
    });
  }
  await t.step(
    "an appointment message without its appointment is an error, not a blank",
    async () => {
      const entry = CATALOG.appointment_confirmation_email;
      await assert.rejects(
        async () => await entry.render(ctx({ appointment: undefined })),
        /no appointment/,
      );
    },
  );
});

Deno.test("appointment texts carry date, window, address and technician in at most 2 GSM-7 segments", async (t) => {
  const sms = async (kind: keyof typeof CATALOG, overrides: Partial<RenderContext> = {}) => {
    const entry = CATALOG[kind];
    assert.ok(isLeadKind(entry));
    return (await entry.render(ctx({ recipient: lead.phone_e164!, ...overrides })) as SmsMessage)
      .body;
  };
  const cases: Array<[keyof typeof CATALOG, Partial<RenderContext>, string]> = [
    [
      "appointment_confirmation_sms",
      {},
      "Your windshield replacement is confirmed for Fri, Nov 27 between 9-11 am at 123 Main St, Denver, CO 80202. Your technician is Ava Chen.\nWe'll text updates as we get closer!\n\nReply STOP to opt-out",
    ],
    [
      "appointment_confirmation_sms",
      { appointment: makeAppointment({ rescheduled: true, version: 2 }) },
      "Your windshield replacement has been moved to Fri, Nov 27 between 9-11 am at 123 Main St, Denver, CO 80202. Your technician is Ava Chen.\nQuestions? Call (720) 918-7465\n\nReply STOP to opt-out",
    ],
    [
      "appointment_cancellation_sms",
      {},
      "Your windshield replacement appointment on Fri, Nov 27 (9-11 am) is cancelled. To book again, call Pink Auto Glass at (720) 918-7465.\n\nReply STOP to opt-out",
    ],
    [
      "appointment_reminder_sms",
      {},
      "Reminder: your windshield replacement with Pink Auto Glass is Fri, Nov 27 between 9-11 am at 123 Main St, Denver, CO 80202.\nTechnician: Ava Chen. To reschedule, call (720) 918-7465.\n\nReply STOP to opt-out",
    ],
  ];
  for (const [kind, overrides, expected] of cases) {
    await t.step(`${kind}${overrides.appointment ? " (moved)" : ""}`, async () => {
      const body = await sms(kind, overrides);
      assert.equal(body, expected);
      const cost = smsCost(body);
      assert.equal(cost.encoding, "GSM-7");
      assert.ok(cost.segments <= 2, `${cost.segments} segments`);
    });
  }
});
