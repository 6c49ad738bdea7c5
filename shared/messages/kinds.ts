/**
 * What a message kind is: the shape every catalog entry has (shared/messages/catalog.ts lists
 * them), and the small rules entries share for finding their recipient.
 */
import type { Channel } from "../outbox/store.ts";
import type { InboundSms, Lead } from "../leads/types.ts";
import type { InboundIntent } from "../compliance/sms_keywords.ts";
import type { LeadPriority } from "../compliance/priority.ts";
import type { AlertRenderContext, InboundRenderContext, RenderContext } from "./render.ts";
import type { MessageSetup } from "./setup.ts";
import { isDeliverableEmail } from "../compliance/email_address.ts";

/** Who a message is for. */
export type Audience = "customer" | "staff";

/** What plans a message about a lead. */
export type LeadEvent =
  | "new_lead"
  | "appointment_scheduled"
  | "appointment_cancelled"
  | "appointment_reminder"
  | "lead_escalated"
  /** Pages the on-call phone's hourly cap held back (planned by paging.ts, not planMessages). */
  | "on_call_digest"
  /** Alert emails a burst held back from a staff member (planned by staff_digest.ts). */
  | "staff_digest";

/**
 * Who a new lead goes to, decided when it is planned (shared/notify_lead/plan.ts): its
 * priority, whose turn it is, who is on call, and the earlier lead it may repeat.
 */
export interface LeadRouting {
  priority: LeadPriority;
  /** The assignee's email; null: nobody on shift, the alert goes to the admin inbox alone. */
  assigneeEmail: string | null;
  /** Who is texted a high-priority lead or an escalation (STAFF_ON_CALL_PHONE, else the roster's). */
  onCallPhone: string | null;
  /** The earlier lead this one repeats: its customer is not confirmed again. */
  duplicateOf: { id: string; reference_number: string } | null;
}

/** Routing for events that route nothing (appointments, reminders): the lead as stored. */
export function storedRouting(lead: Lead): LeadRouting {
  return {
    priority: lead.priority ?? "normal",
    assigneeEmail: null,
    onCallPhone: null,
    duplicateOf: null,
  };
}

/**
 * What makes a message planned: an event about a lead, a text a customer sent the shop, or
 * the system's own health (the sweep's alerts).
 */
export type MessageEvent = LeadEvent | "sms_received" | "system_alert";

/** Where a message goes; `recipient` null with the reason there is none. */
export type Address =
  | { recipient: string; missing?: undefined }
  | { recipient: null; missing: string };

export interface KindBase {
  channel: Channel;
  audience: Audience;
  /** One line for admins (`message_kinds.description`). */
  description: string;
}

/** A message about a lead. `P` is its channel's payload. */
export interface LeadMessageKind<P> extends KindBase {
  event: LeadEvent;
  /** Context the renderer needs beyond the lead and the shop. */
  needs?: { photoLinks?: boolean };
  /** Planned only when this kind is planned suppressed: the other way to reach the customer. */
  insteadOf?: string;
  /**
   * Where it goes for this lead. Returns null when the deployment does not send this kind
   * at all (an unconfigured webhook): nothing is planned.
   */
  address(lead: Lead, setup: MessageSetup, routing: LeadRouting): Address | null;
  render(ctx: RenderContext): P | Promise<P>;
}

/** A message a customer's text calls for; it may have no lead. */
export interface InboundMessageKind<P> extends KindBase {
  event: "sms_received";
  /** The reading of the customer's text it answers. */
  answers: InboundIntent;
  /**
   * Answered in the TwiML of Twilio's webhook (Twilio sends it), not by a channel sender;
   * left out when Twilio's Advanced Opt-Out already answered the customer.
   */
  inTwiml?: boolean;
  address(inbound: InboundSms, setup: MessageSetup): Address;
  render(ctx: InboundRenderContext): P | Promise<P>;
}

/** A message to the admin about the notification system itself; no lead, no customer. */
export interface AlertMessageKind<P> extends KindBase {
  event: "system_alert";
  audience: "staff";
  address(setup: MessageSetup): Address;
  render(ctx: AlertRenderContext): P | Promise<P>;
}

/** One kind of message. */
export type MessageKind<P> = LeadMessageKind<P> | InboundMessageKind<P> | AlertMessageKind<P>;

/** Whether a kind is a message about a lead (planned by a lead event, rendered from the lead). */
export function isLeadKind<K extends { event: MessageEvent }>(
  kind: K,
): kind is Extract<K, { event: LeadEvent }> {
  return kind.event !== "sms_received" && kind.event !== "system_alert";
}

/** The recipient a lead gave, or why there is none. */
export function given(value: string | null, missing: string): Address {
  const trimmed = value?.trim();
  return trimmed ? { recipient: trimmed } : { recipient: null, missing };
}

/**
 * A customer's email address: "missing_email" when there is none, "invalid_address" when the
 * providers would refuse it (isDeliverableEmail).
 */
export function customerEmail(value: string | null): Address {
  const address = given(value, "missing_email");
  return address.recipient !== null && !isDeliverableEmail(address.recipient)
    ? { recipient: null, missing: "invalid_address" }
    : address;
}

/** The staff inbox (`ADMIN_EMAIL`): where alerts and customers' texts go. */
export function staffInbox(setup: MessageSetup, what: string): Address {
  const admin = setup.adminEmail.trim();
  if (admin === "") throw new TypeError(`Cannot plan ${what}: no admin email to send it to`);
  return { recipient: admin };
}
