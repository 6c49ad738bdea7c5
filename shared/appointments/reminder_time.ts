/**
 * When an appointment's reminder goes (pure): 24 hours before it, unless that falls in the
 * customer's quiet hours; then at the latest allowed moment before the mark, or, if that has
 * passed, the next allowed moment before the appointment. An appointment made less than 24
 * hours ahead gets no reminder: its confirmation is enough.
 */
import {
  latestAllowedSendTime,
  nextAllowedSendTime,
  type SendWindow,
  smsWindow,
} from "../compliance/quiet_hours.ts";
import { type PlanFacts, planMessages, type PlannedMessage } from "../messages/plan.ts";
import type { Lead } from "../leads/types.ts";
import type { Appointment } from "./types.ts";

/** How long before the appointment the reminder is due. */
export const REMINDER_LEAD_MS = 24 * 3600_000;

/** Why a reminder is not sent; the reminder row is suppressed with it. */
export type ReminderSkipReason = "scheduled_within_24h" | "no_allowed_time_before_appointment";

export type ReminderTiming =
  | { action: "send"; at: Date }
  | { action: "skip"; reason: ReminderSkipReason };

/** The facts the decision needs. */
export interface ReminderFacts {
  startsAt: Date;
  /** When the current version of the appointment was made. */
  scheduledAt: Date;
  now: Date;
  /** The customer's texting window (their zone, the shop's hours, their state's rules). */
  window: SendWindow;
}

/** When the reminder goes, or why it does not. */
export function reminderTiming(facts: ReminderFacts): ReminderTiming {
  const mark = new Date(facts.startsAt.getTime() - REMINDER_LEAD_MS);
  if (mark.getTime() < facts.scheduledAt.getTime()) {
    return { action: "skip", reason: "scheduled_within_24h" };
  }
  const latest = latestAllowedSendTime(mark, facts.window);
  if (latest && latest.getTime() >= facts.now.getTime()) return { action: "send", at: latest };
  const next = nextAllowedSendTime(facts.now, facts.window);
  return next && next.getTime() < facts.startsAt.getTime()
    ? { action: "send", at: next }
    : { action: "skip", reason: "no_allowed_time_before_appointment" };
}

/**
 * The reminder's messages (pure): the SMS, or the email instead when the SMS cannot go, both
 * waiting until the reminder's time; or the SMS alone, suppressed with the reason there is no
 * reminder.
 */
export function planReminder(
  lead: Lead,
  facts: PlanFacts & { appointment: Appointment },
): PlannedMessage[] {
  const timing = reminderTiming({
    startsAt: facts.appointment.starts_at,
    scheduledAt: facts.appointment.changed_at,
    now: facts.now,
    window: smsWindow(lead, lead.phone_e164, facts.settings),
  });
  if (timing.action === "send") {
    return planMessages("appointment_reminder", lead, { ...facts, sendAt: timing.at });
  }
  return planMessages("appointment_reminder", lead, facts)
    .filter((m) => m.channel === "sms")
    .map((m) => ({ ...m, suppressedReason: timing.reason, deferredUntil: undefined }));
}
