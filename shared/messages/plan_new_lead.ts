/**
 * Who gets what when a new lead arrives: one planned message per (lead, template), each
 * either addressed or suppressed with the reason. notify-lead writes these rows to
 * `notifications_outbox` as they are; nothing here sends or reads anything.
 */
import { smsReachability } from "../phone.ts";
import type { Lead } from "../types.ts";

/** The templates a new lead uses; also `notifications_outbox.template`. */
export type TemplateName =
  | "customer_confirmation_email"
  | "staff_new_lead_email"
  | "initial_confirmation_sms";

/** One intended message: an outbox row before it is written. */
export interface PlannedMessage {
  /** `${lead.id}:${template}`: the outbox's unique key, so planning twice adds nothing. */
  key: string;
  channel: "email" | "sms";
  template: TemplateName;
  /** Email address or E.164 phone; null when the lead gave none. */
  recipient: string | null;
  /** Why this message must not be sent; null when it should be. */
  suppressedReason: string | null;
}

/** The phone's current consent, from `sms_consent_status` (consent belongs to the number). */
export type SmsConsentState = "opted_in" | "opted_out" | "none";

/** Options for {@linkcode planNewLeadMessages}. */
export interface PlanNewLeadOptions {
  /** Where the staff alert goes (`ADMIN_EMAIL`). */
  adminEmail: string;
  /** The latest consent event for the lead's phone; "none" when there is no event. */
  smsConsent: SmsConsentState;
}

function planned(lead: Lead, message: Omit<PlannedMessage, "key">): PlannedMessage {
  return { key: `${lead.id}:${message.template}`, ...message };
}

function smsSuppressedReason(lead: Lead, smsConsent: SmsConsentState): string | null {
  const reachable = smsReachability(lead.phone_e164);
  if (!reachable.ok) return reachable.reason;
  if (smsConsent === "opted_out") return "opted_out";
  if (smsConsent !== "opted_in") return "no_sms_consent";
  return null;
}

/**
 * Plans the new-lead messages: the customer confirmation email, the staff alert email and
 * the customer confirmation SMS, always in that order and always all three. A message that
 * must not go out is still planned, with `suppressedReason` set ("missing_email",
 * "missing_phone", "invalid_phone", "not_mobile_capable", "unsupported_country",
 * "opted_out", "no_sms_consent"), so the outbox shows why a customer heard nothing.
 *
 * @throws {TypeError} When `adminEmail` is blank: the staff alert must always have a recipient.
 */
export function planNewLeadMessages(lead: Lead, options: PlanNewLeadOptions): PlannedMessage[] {
  const adminEmail = options.adminEmail.trim();
  if (adminEmail === "") {
    throw new TypeError(
      `Cannot plan lead ${lead.reference_number}: no admin email to send the staff alert to`,
    );
  }
  const customerEmail = lead.email?.trim() || null;
  return [
    planned(lead, {
      channel: "email",
      template: "customer_confirmation_email",
      recipient: customerEmail,
      suppressedReason: customerEmail ? null : "missing_email",
    }),
    planned(lead, {
      channel: "email",
      template: "staff_new_lead_email",
      recipient: adminEmail,
      suppressedReason: null,
    }),
    planned(lead, {
      channel: "sms",
      template: "initial_confirmation_sms",
      recipient: lead.phone_e164?.trim() || null,
      suppressedReason: smsSuppressedReason(lead, options.smsConsent),
    }),
  ];
}
