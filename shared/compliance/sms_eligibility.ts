/**
 * Whether a text may go to a customer now: the one place SMS law is applied. Planning asks it
 * (so the outbox shows at once why a customer will hear nothing, or when they will), and the
 * drain asks it again right before sending (consent may have been withdrawn, the cap reached
 * or the evening come since).
 */
import { smsReachability, type SmsUnreachableReason } from "./phone.ts";
import { dailySmsCap, nextAllowedSendTime, smsWindow } from "./quiet_hours.ts";
import type { BusinessSettings, Lead } from "../leads/types.ts";
import { type SmsBudgetReason, smsBudgetStop, type SmsSpend } from "./sms_budget.ts";

/**
 * The phone's current consent, from `sms_consent_status` (consent belongs to the number; an
 * opt-out stands until the phone itself replies START, whatever forms say since).
 */
export type SmsConsentState = "opted_in" | "opted_out" | "none";

/** The phone's consent and when its latest word was given (null: none on record). */
export interface PhoneConsent {
  state: SmsConsentState;
  since: Date | null;
}

/** A phone no consent event names. */
export const NO_CONSENT: PhoneConsent = { state: "none", since: null };

/** Consent for texts about one lead: the phone's, unless this lead's own box was left unticked. */
export type LeadSmsConsent = SmsConsentState | "not_on_this_lead";

/**
 * A lead is texted only when its own consent box was ticked, or the phone opted in after the
 * lead came in (a START reply), and the phone has not opted out since. An unticked box on a
 * new form leaves the phone's earlier opt-in standing in the ledger (it revokes nothing), but
 * that form is no consent to text about this lead.
 */
export function consentForLead(
  lead: Pick<Lead, "sms_consent" | "created_at">,
  phone: PhoneConsent,
): LeadSmsConsent {
  if (phone.state !== "opted_in" || lead.sms_consent) return phone.state;
  const givenAfter = phone.since !== null &&
    phone.since.getTime() > new Date(lead.created_at).getTime();
  return givenAfter ? "opted_in" : "not_on_this_lead";
}

/** Why a text must not go at all. */
export type SmsSuppressedReason =
  | SmsUnreachableReason
  | "unreachable"
  | "opted_out"
  | "no_sms_consent"
  | "no_sms_consent_on_this_lead"
  | `daily_cap (${number} per 24 h)`
  | SmsBudgetReason
  | "no_allowed_hour_in_every_time_zone";

/** Everything the decision needs, gathered by the caller. */
export interface SmsFacts {
  /** The number the text would go to (E.164), null when the lead gave none. */
  phone: string | null;
  /** The number's consent for this lead (see consentForLead); "none" when there is none. */
  consent: LeadSmsConsent;
  /** The carrier said the number cannot take texts (Twilio 30003, 30005, 30006). */
  unreachable: boolean;
  /** Texts that number was sent in the last 24 hours. */
  sentLast24h: number;
  /**
   * The day's SMS spend against its budget (sms_budget.ts); null when the text is judged for a
   * later day than the spend is known for (a scheduled reminder): the drain judges it when due.
   */
  spend: SmsSpend | null;
  /** The recipient's zones (`leads.time_zone`, `also_time_zones`) and state (its stricter rules). */
  lead: Pick<Lead, "state" | "time_zone" | "also_time_zones">;
  settings: Pick<
    BusinessSettings,
    "sms_window_start_hour" | "sms_window_end_hour" | "sms_daily_cap"
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
 * and MD), and inside the recipient's allowed hours in the zone of their address and every
 * zone of their phone's area code (otherwise deferred to the next moment allowed in all).
 * Then the shop's own rule: a text that would go now does not once the day's SMS budget is
 * spent (one deferred to a later hour is judged again when it is due).
 */
export function smsEligibility(facts: SmsFacts): SmsEligibility {
  const reachable = smsReachability(facts.phone);
  if (!reachable.ok) return { action: "suppress", reason: reachable.reason };
  if (facts.unreachable) return { action: "suppress", reason: "unreachable" };
  if (facts.consent === "opted_out") return { action: "suppress", reason: "opted_out" };
  if (facts.consent === "not_on_this_lead") {
    return { action: "suppress", reason: "no_sms_consent_on_this_lead" };
  }
  if (facts.consent !== "opted_in") return { action: "suppress", reason: "no_sms_consent" };
  const cap = dailySmsCap(facts.settings.sms_daily_cap, facts.lead.state);
  if (facts.sentLast24h >= cap) {
    return { action: "suppress", reason: `daily_cap (${cap} per 24 h)` };
  }
  const allowedAt = nextAllowedSendTime(
    facts.now,
    smsWindow(facts.lead, facts.phone, facts.settings),
  );
  if (allowedAt === null) {
    return { action: "suppress", reason: "no_allowed_hour_in_every_time_zone" };
  }
  if (allowedAt.getTime() > facts.now.getTime()) {
    return { action: "defer", reason: "quiet_hours", until: allowedAt };
  }
  const budget = facts.spend ? smsBudgetStop(facts.spend) : null;
  if (budget !== null) return { action: "suppress", reason: budget };
  return { action: "send" };
}
