/**
 * Who gets what when an event happens: one planned message per catalog kind the event plans,
 * each addressed, suppressed with its reason, or deferred to when it may go. notify-lead
 * writes these rows to `notifications_outbox` as they are; nothing here sends or reads.
 */
import {
  CATALOG,
  isCustomerSms,
  type LeadEvent,
  type MessageKind,
  type MessageKindName,
} from "./catalog.ts";
import type { MessageSetup } from "./setup.ts";
import type { Channel } from "../outbox/store.ts";
import type { BusinessSettings, InboundSms, Lead, UnreachablePhone } from "../leads/types.ts";
import {
  consentForLead,
  type PhoneConsent,
  smsEligibility,
} from "../compliance/sms_eligibility.ts";
import { smsBudgetStop, type SmsSpend } from "../compliance/sms_budget.ts";
import { isLeadKind, type LeadRouting, storedRouting } from "./kinds.ts";
import type { Appointment } from "../appointments/types.ts";

/** One intended message: an outbox row before it is written. */
export interface PlannedMessage {
  /**
   * The outbox's unique key, so planning twice adds nothing: `${lead.id}:${template}`;
   * `appt:${appointment id}:v${version}:${template}` for an appointment version's messages;
   * `sms:${MessageSid}:${template}` for what a customer's text calls for.
   */
  key: string;
  channel: Channel;
  template: MessageKindName;
  /** Email address, E.164 phone or webhook receiver; null when the lead gave none. */
  recipient: string | null;
  /** Why this message must not be sent; null when it should be. */
  suppressedReason: string | null;
  /** Set when it may not go yet: the earliest moment it may. */
  deferredUntil?: Date;
  /** Why it waits: `quiet_hours`, or `scheduled` (a reminder's time). */
  deferredReason?: string;
}

/** What planning needs to know besides the lead. */
export interface PlanFacts {
  setup: MessageSetup;
  /** The latest consent event for the lead's phone; state "none" when there is none. */
  smsConsent: PhoneConsent;
  /** Set when the carrier said the lead's phone cannot take texts. */
  smsUnreachable: UnreachablePhone | null;
  /** Texts the lead's phone was sent in the last 24 hours. */
  smsSentLast24h: number;
  /** The day's SMS spend against its budget: once spent, no text of a lead goes today. */
  smsSpend: SmsSpend;
  settings: BusinessSettings;
  now: Date;
  /** The appointment version an appointment event is about: its messages are keyed by it. */
  appointment?: Appointment;
  /** When the messages are to go, if later than now (a reminder's time). */
  sendAt?: Date;
  /** A new lead's routing; other events use the lead as stored. */
  routing?: LeadRouting;
}

/** The outbox key of a lead's message (see {@linkcode PlannedMessage.key}). */
export function messageKey(lead: Pick<Lead, "id">, template: string, appointment?: Appointment) {
  return appointment
    ? `appt:${appointment.appointment_id}:v${appointment.version}:${template}`
    : `${lead.id}:${template}`;
}

/**
 * Plans the messages `event` sends about `lead`, in catalog order. A message that must not
 * go out is still planned, with `suppressedReason` set ("missing_email", "missing_phone",
 * "invalid_phone", "not_mobile_capable", "unsupported_country", "unreachable", "opted_out",
 * "no_sms_consent", "daily_cap …", "sms_budget_spent …", "duplicate_of PAG-…"), so the outbox
 * shows why a customer heard nothing; staff texts too stop once the day's SMS budget is spent
 * (their emails are planned as ever). Kinds
 * the deployment does not send (an unconfigured webhook) are left out, and so are kinds
 * planned `insteadOf` another that can go (the reminder email when the reminder SMS can).
 * With `sendAt`, every message waits until then, and texts are judged at that moment.
 *
 * @throws {TypeError} When the setup lacks what a kind must have (a blank admin email).
 */
export function planMessages(
  event: LeadEvent,
  lead: Lead,
  facts: PlanFacts,
): PlannedMessage[] {
  const planned: PlannedMessage[] = [];
  const alternatives = new Map<string, string>();
  const at = facts.sendAt && facts.sendAt > facts.now ? facts.sendAt : null;
  const scheduled = at ? { deferredUntil: at, deferredReason: "scheduled" } : {};
  const routing = facts.routing ?? storedRouting(lead);
  for (const [template, kind] of catalogEntries()) {
    if (!isLeadKind(kind) || kind.event !== event) continue;
    if (kind.insteadOf) alternatives.set(template, kind.insteadOf);
    const address = kind.address(lead, facts.setup, routing);
    if (address === null) continue;
    const message = {
      key: messageKey(lead, template, facts.appointment),
      channel: kind.channel,
      template,
      recipient: address.recipient,
    };
    if (address.recipient === null) {
      planned.push({ ...message, suppressedReason: address.missing });
      continue;
    }
    // Staff still hear of a repeat (marked); the customer was confirmed for the first one.
    const repeat = kind.audience === "customer" && routing.duplicateOf
      ? `duplicate_of ${routing.duplicateOf.reference_number}`
      : null;
    if (repeat && !isCustomerSms(kind)) {
      planned.push({ ...message, suppressedReason: repeat });
      continue;
    }
    if (!isCustomerSms(kind)) {
      const budget = kind.channel === "sms" && !at ? smsBudgetStop(facts.smsSpend) : null;
      planned.push({ ...message, suppressedReason: budget, ...scheduled });
      continue;
    }
    const sms = smsEligibility({
      phone: address.recipient,
      consent: consentForLead(lead, facts.smsConsent),
      unreachable: facts.smsUnreachable !== null,
      sentLast24h: facts.smsSentLast24h,
      spend: at ? null : facts.smsSpend,
      lead,
      settings: facts.settings,
      now: at ?? facts.now,
    });
    // A text the SMS rules refuse keeps their reason (opted out, unreachable…), repeat or not.
    planned.push(
      sms.action === "suppress"
        ? { ...message, suppressedReason: sms.reason }
        : repeat
        ? { ...message, suppressedReason: repeat }
        : sms.action === "defer"
        ? {
          ...message,
          suppressedReason: null,
          deferredUntil: sms.until,
          deferredReason: "quiet_hours",
        }
        : { ...message, suppressedReason: null, ...scheduled },
    );
  }
  return planned.filter((m) => {
    const instead = alternatives.get(m.template);
    const other = instead && planned.find((o) => o.template === instead);
    return !other || other.suppressedReason !== null;
  });
}

function catalogEntries() {
  return Object.entries(CATALOG) as [MessageKindName, MessageKind<unknown>][];
}

/** What a customer's text calls for: a reply in TwiML, or a message through the outbox. */
export interface PlannedInboundMessage extends PlannedMessage {
  /** Answered in the response to Twilio's webhook, not sent by a channel sender. */
  inTwiml: boolean;
}

/**
 * Plans what a customer's text calls for (pure): the keyword's one reply (none when Twilio's
 * Advanced Opt-Out answered already, `opt_out_type` set), or the staff email of a reply.
 */
export function planInboundMessages(
  inbound: Pick<InboundSms, "message_sid" | "from_phone" | "intent" | "opt_out_type">,
  setup: MessageSetup,
): PlannedInboundMessage[] {
  const planned: PlannedInboundMessage[] = [];
  for (const [template, kind] of catalogEntries()) {
    if (kind.event !== "sms_received" || kind.answers !== inbound.intent) continue;
    const inTwiml = kind.inTwiml === true;
    if (inTwiml && inbound.opt_out_type) continue;
    const address = kind.address(inbound as InboundSms, setup);
    planned.push({
      key: `sms:${inbound.message_sid}:${template}`,
      channel: kind.channel,
      template,
      recipient: address.recipient,
      suppressedReason: address.recipient === null ? address.missing : null,
      inTwiml,
    });
  }
  return planned;
}
