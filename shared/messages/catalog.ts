/**
 * The message catalog: every kind of message leadwire sends, in one place. An entry says
 * which channel carries it, who it is for (a customer or the shop's staff: customers go
 * first, and SMS law applies to texts to customers), what event plans it, where it goes,
 * what extra context it needs and how it is rendered.
 *
 * The key is `notifications_outbox.template` and a row of `public.message_kinds`. Adding a
 * kind: an entry here, its template under templates/, a row in a migration, and tests.
 */
// @ts-types="@types/react"
import { createElement } from "react";
import type { Channel } from "../outbox/store.ts";
import type { InboundSms, Lead } from "../leads/types.ts";
import type { InboundIntent } from "../compliance/sms_keywords.ts";
import {
  CustomerConfirmationEmail,
  customerConfirmationSubject,
} from "../../templates/email/customer_confirmation_email.tsx";
import {
  StaffNewLeadAlertEmail,
  staffNewLeadAlertSubject,
} from "../../templates/email/staff_new_lead_email.tsx";
import {
  StaffSmsReplyEmail,
  staffSmsReplySubject,
} from "../../templates/email/staff_sms_reply_email.tsx";
import { initialConfirmationSms } from "../../templates/sms/initial_confirmation_sms.ts";
import { optOutConfirmationSms } from "../../templates/sms/opt_out_confirmation_sms.ts";
import { optInConfirmationSms } from "../../templates/sms/opt_in_confirmation_sms.ts";
import { helpReplySms } from "../../templates/sms/help_reply_sms.ts";
import { crmNewLeadPayload } from "../../templates/webhook/crm_new_lead_webhook.ts";
import { slackNewLeadMessage } from "../../templates/webhook/slack_new_lead_webhook.ts";
import { type InboundRenderContext, type RenderContext, renderEmail, renderSms } from "./render.ts";
import { type MessageSetup, receiverLabel } from "./setup.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";
import type { WebhookRequest } from "../channels/webhook.ts";

/** Who a message is for. */
export type Audience = "customer" | "staff";

/** What makes a message planned: a new lead, or a text a customer sent the shop. */
export type MessageEvent = "new_lead" | "sms_received";

/** Where a message goes; `recipient` null with the reason there is none. */
export type Address =
  | { recipient: string; missing?: undefined }
  | { recipient: null; missing: string };

interface KindBase {
  channel: Channel;
  audience: Audience;
  /** One line for admins (`message_kinds.description`). */
  description: string;
}

/** A message about a lead. `P` is its channel's payload. */
export interface LeadMessageKind<P> extends KindBase {
  event: "new_lead";
  /** Context the renderer needs beyond the lead and the shop. */
  needs?: { photoLinks?: boolean };
  /**
   * Where it goes for this lead. Returns null when the deployment does not send this kind
   * at all (an unconfigured webhook): nothing is planned.
   */
  address(lead: Lead, setup: MessageSetup): Address | null;
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

/** One kind of message. */
export type MessageKind<P> = LeadMessageKind<P> | InboundMessageKind<P>;

/** The recipient a lead gave, or why there is none. */
function given(value: string | null, missing: string): Address {
  const trimmed = value?.trim();
  return trimmed ? { recipient: trimmed } : { recipient: null, missing };
}

/** The staff inbox (`ADMIN_EMAIL`): where alerts and customers' texts go. */
function staffInbox(setup: MessageSetup, what: string): Address {
  const admin = setup.adminEmail.trim();
  if (admin === "") throw new TypeError(`Cannot plan ${what}: no admin email to send it to`);
  return { recipient: admin };
}

/** A configured receiver's URL, or the error that says it was unconfigured since planning. */
function configured(target: { url: string } | undefined, variable: string): string {
  if (!target) throw new Error(`${variable} is no longer set: the webhook cannot be sent`);
  return target.url;
}

const customerConfirmationEmail: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "customer",
  event: "new_lead",
  description: "Tells the customer we received their request, with its reference number.",
  address: (lead) => given(lead.email, "missing_email"),
  render: (ctx) =>
    renderEmail(
      ctx,
      customerConfirmationSubject(ctx.lead),
      createElement(CustomerConfirmationEmail, { lead: ctx.lead, settings: ctx.settings }),
    ),
};

const staffNewLeadEmail: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "new_lead",
  description: "Alerts the shop's inbox with everything needed to call the customer back.",
  needs: { photoLinks: true },
  address: (lead, setup) => staffInbox(setup, `the staff alert of lead ${lead.reference_number}`),
  render: (ctx) =>
    renderEmail(
      ctx,
      staffNewLeadAlertSubject(ctx.lead),
      createElement(StaffNewLeadAlertEmail, {
        lead: ctx.lead,
        settings: ctx.settings,
        photoUrls: ctx.photoUrls,
        priority: ctx.priority,
        phoneSms: ctx.phoneSms,
      }),
    ),
};

const initialConfirmationSmsKind: LeadMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "customer",
  event: "new_lead",
  description: "Texts the customer their reference number (only with SMS consent).",
  address: (lead) => given(lead.phone_e164, "missing_phone"),
  render: (ctx) => renderSms(ctx, initialConfirmationSms(ctx.lead, ctx.settings)),
};

const crmNewLeadWebhook: LeadMessageKind<WebhookRequest> = {
  channel: "webhook",
  audience: "staff",
  event: "new_lead",
  description: "Posts the lead to the shop's CRM (WEBHOOK_CRM_URL), signed when a secret is set.",
  address: (_lead, setup) => setup.crm ? { recipient: receiverLabel("CRM", setup.crm.url) } : null,
  render: (ctx) => ({
    url: configured(ctx.setup.crm, "WEBHOOK_CRM_URL"),
    headers: {
      "x-webhook-source": "leadwire",
      ...(ctx.setup.crm?.token ? { authorization: `Bearer ${ctx.setup.crm.token}` } : {}),
    },
    body: crmNewLeadPayload(ctx.lead, ctx.priority),
    sign: true,
  }),
};

const slackNewLeadWebhook: LeadMessageKind<WebhookRequest> = {
  channel: "webhook",
  audience: "staff",
  event: "new_lead",
  description: "Posts a readable new-lead message to the shop's Slack channel (WEBHOOK_SLACK_URL).",
  address: (_lead, setup) =>
    setup.slack ? { recipient: receiverLabel("Slack", setup.slack.url) } : null,
  render: (ctx) => ({
    url: configured(ctx.setup.slack, "WEBHOOK_SLACK_URL"),
    body: slackNewLeadMessage(ctx.lead, ctx.priority, ctx.settings),
  }),
};

const staffSmsReplyEmail: InboundMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "sms_received",
  answers: "reply",
  description:
    "Forwards a customer's text (and its photos) to the shop's inbox, with the lead it belongs to.",
  address: (_inbound, setup) => staffInbox(setup, "the staff email of a customer's text"),
  render: (ctx) =>
    renderEmail(
      ctx,
      staffSmsReplySubject(ctx.inbound, ctx.lead),
      createElement(StaffSmsReplyEmail, {
        inbound: ctx.inbound,
        lead: ctx.lead,
        settings: ctx.settings,
      }),
    ),
};

/** A keyword's one reply, to the number that texted. */
function keywordReply(
  answers: InboundIntent,
  description: string,
  body: (ctx: InboundRenderContext) => string,
): InboundMessageKind<SmsMessage> {
  return {
    channel: "sms",
    audience: "customer",
    event: "sms_received",
    answers,
    inTwiml: true,
    description,
    address: (inbound) => ({ recipient: inbound.from_phone }),
    render: (ctx) => renderSms(ctx, body(ctx)),
  };
}

/** Every message kind, in the order a lead's messages are planned. */
export const CATALOG = {
  customer_confirmation_email: customerConfirmationEmail,
  staff_new_lead_email: staffNewLeadEmail,
  initial_confirmation_sms: initialConfirmationSmsKind,
  crm_new_lead_webhook: crmNewLeadWebhook,
  slack_new_lead_webhook: slackNewLeadWebhook,
  staff_sms_reply_email: staffSmsReplyEmail,
  opt_out_confirmation_sms: keywordReply(
    "opt_out",
    "The one reply to an opt-out: no more texts will come (answered in TwiML).",
    (ctx) => optOutConfirmationSms(ctx.settings),
  ),
  opt_in_confirmation_sms: keywordReply(
    "opt_in",
    "The reply to START, YES or UNSTOP: texts are back on (answered in TwiML).",
    (ctx) => optInConfirmationSms(ctx.settings),
  ),
  help_reply_sms: keywordReply(
    "help",
    "The reply to HELP or INFO: who we are, what the texts are, how to stop (answered in TwiML).",
    (ctx) => helpReplySms(ctx.settings),
  ),
} as const satisfies Record<string, MessageKind<unknown>>;

/** A catalog key: `notifications_outbox.template`. */
export type MessageKindName = keyof typeof CATALOG;

/** The catalog's keys, in plan order. */
export const MESSAGE_KIND_NAMES = Object.keys(CATALOG) as MessageKindName[];

/** The entry for an outbox row's template; undefined for a name the catalog does not know. */
export function messageKind(name: string): MessageKind<unknown> | undefined {
  return Object.hasOwn(CATALOG, name) ? CATALOG[name as MessageKindName] : undefined;
}

/** Texts to customers are the ones SMS law (consent, opt-out, cap, quiet hours) governs. */
export function isCustomerSms(kind: Pick<MessageKind<unknown>, "channel" | "audience">): boolean {
  return kind.channel === "sms" && kind.audience === "customer";
}

/** Customers first: someone is waiting on the other end. Unknown kinds last. */
export function rankOf(template: string): number {
  const kind = messageKind(template);
  return kind ? (kind.audience === "customer" ? 0 : 1) : 2;
}
