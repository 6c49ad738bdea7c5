/**
 * Whether a text may go to a customer now: the one place SMS law is applied. Planning asks it
 * (so the outbox shows at once why a customer will hear nothing, or when they will), and the
 * drain asks it again right before sending (consent may have been withdrawn, the cap reached
 * or the evening come since).
 */
import { smsReachability, type SmsUnreachableReason } from "./phone.ts";
import { dailySmsCap, nextAllowedSendTime, timeZoneForLead } from "./quiet_hours.ts";
import type { BusinessSettings, Lead } from "../leads/types.ts";

/** The phone's current consent, from `sms_consent_status` (consent belongs to the number). */
export type SmsConsentState = "opted_in" | "opted_out" | "none";

/** Why a text must not go at all. */
export type SmsSuppressedReason =
  | SmsUnreachableReason
  | "unreachable"
  | "opted_out"
  | "no_sms_consent"
  | `daily_cap (${number} per 24 h)`;

/** Everything the decision needs, gathered by the caller. */
export interface SmsFacts {
  /** The number the text would go to (E.164), null when the lead gave none. */
  phone: string | null;
  /** The latest consent event for that number; "none" when there is none. */
  consent: SmsConsentState;
  /** The carrier said the number cannot take texts (Twilio 30003, 30005, 30006). */
  unreachable: boolean;
  /** Texts that number was sent in the last 24 hours. */
  sentLast24h: number;
  /** The recipient's ZIP and state (decide their time zone; the state its stricter rules). */
  lead: Pick<Lead, "state"> & Partial<Pick<Lead, "zip">>;
  settings: Pick<
    BusinessSettings,
    "time_zone" | "sms_window_start_hour" | "sms_window_end_hour" | "sms_daily_cap"
  >;
  now: Date;
}

export type SmsEligibility =
  | { action: "send" }
  | { action: "suppress"; reason: SmsSuppressedReason }
  | { action: "defer"; reason: "quiet_hours"; until: Date };

/**
 * Decides in the order the law asks: a number that can take a text (by its form, and by what
 * the carrier reported), consent on record and no opt-out, under the daily cap (3 in FL, OK
 * and MD), and inside the recipient's allowed hours (otherwise deferred to the next window
 * start, recipient local time).
 */
export function smsEligibility(facts: SmsFacts): SmsEligibility {
  const reachable = smsReachability(facts.phone);
  if (!reachable.ok) return { action: "suppress", reason: reachable.reason };
  if (facts.unreachable) return { action: "suppress", reason: "unreachable" };
  if (facts.consent === "opted_out") return { action: "suppress", reason: "opted_out" };
  if (facts.consent !== "opted_in") return { action: "suppress", reason: "no_sms_consent" };
  const cap = dailySmsCap(facts.settings.sms_daily_cap, facts.lead.state);
  if (facts.sentLast24h >= cap) {
    return { action: "suppress", reason: `daily_cap (${cap} per 24 h)` };
  }
  const allowedAt = nextAllowedSendTime(facts.now, {
    timeZone: timeZoneForLead(facts.lead, facts.settings.time_zone),
    startHour: facts.settings.sms_window_start_hour,
    endHour: facts.settings.sms_window_end_hour,
    state: facts.lead.state,
  });
  if (allowedAt.getTime() > facts.now.getTime()) {
    return { action: "defer", reason: "quiet_hours", until: allowedAt };
  }
  return { action: "send" };
}
