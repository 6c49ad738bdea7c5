/**
 * Who gets what when an event happens: one planned message per catalog kind the event plans,
 * each addressed, suppressed with its reason, or deferred to when it may go. notify-lead
 * writes these rows to `notifications_outbox` as they are; nothing here sends or reads.
 */
import {
  CATALOG,
  isCustomerSms,
  type LeadMessageKind,
  type MessageKind,
  type MessageKindName,
} from "./catalog.ts";
import type { MessageSetup } from "./setup.ts";
import type { Channel } from "../outbox/store.ts";
import type { BusinessSettings, InboundSms, Lead, UnreachablePhone } from "../leads/types.ts";
import { type SmsConsentState, smsEligibility } from "../compliance/sms_eligibility.ts";

/** One intended message: an outbox row before it is written. */
export interface PlannedMessage {
  /**
   * The outbox's unique key, so planning twice adds nothing: `${lead.id}:${template}`, or
   * `sms:${MessageSid}:${template}` for what a customer's text calls for.
   */
  key: string;
  channel: Channel;
  template: MessageKindName;
  /** Email address, E.164 phone or webhook receiver; null when the lead gave none. */
  recipient: string | null;
  /** Why this message must not be sent; null when it should be. */
  suppressedReason: string | null;
  /** Set when it may not go yet (quiet hours): the earliest moment it may. */
  deferredUntil?: Date;
}

/** What planning needs to know besides the lead. */
export interface PlanFacts {
  setup: MessageSetup;
  /** The latest consent event for the lead's phone; "none" when there is none. */
  smsConsent: SmsConsentState;
  /** Set when the carrier said the lead's phone cannot take texts. */
  smsUnreachable: UnreachablePhone | null;
  /** Texts the lead's phone was sent in the last 24 hours. */
  smsSentLast24h: number;
  settings: BusinessSettings;
  now: Date;
}

/**
 * Plans the messages `event` sends about `lead`, in catalog order. A message that must not
 * go out is still planned, with `suppressedReason` set ("missing_email", "missing_phone",
 * "invalid_phone", "not_mobile_capable", "unsupported_country", "unreachable", "opted_out",
 * "no_sms_consent", "daily_cap …"), so the outbox shows why a customer heard nothing. Kinds
 * the deployment does not send (an unconfigured webhook) are left out.
 *
 * @throws {TypeError} When the setup lacks what a kind must have (a blank admin email).
 */
export function planMessages(
  event: LeadMessageKind<unknown>["event"],
  lead: Lead,
  facts: PlanFacts,
): PlannedMessage[] {
  const planned: PlannedMessage[] = [];
  for (const [template, kind] of catalogEntries()) {
    if (kind.event !== event) continue;
    const address = kind.address(lead, facts.setup);
    if (address === null) continue;
    const message = {
      key: `${lead.id}:${template}`,
      channel: kind.channel,
      template,
      recipient: address.recipient,
    };
    if (address.recipient === null) {
      planned.push({ ...message, suppressedReason: address.missing });
      continue;
    }
    if (!isCustomerSms(kind)) {
      planned.push({ ...message, suppressedReason: null });
      continue;
    }
    const sms = smsEligibility({
      phone: address.recipient,
      consent: facts.smsConsent,
      unreachable: facts.smsUnreachable !== null,
      sentLast24h: facts.smsSentLast24h,
      lead,
      settings: facts.settings,
      now: facts.now,
    });
    planned.push(
      sms.action === "suppress"
        ? { ...message, suppressedReason: sms.reason }
        : sms.action === "defer"
        ? { ...message, suppressedReason: null, deferredUntil: sms.until }
        : { ...message, suppressedReason: null },
    );
  }
  return planned;
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
