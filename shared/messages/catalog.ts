/**
 * The message catalog: every kind of message leadwire sends, in one place. An entry says
 * which channel carries it, who it is for (a customer or the shop's staff: customers go
 * first, and SMS law applies to texts to customers), what event plans it, where it goes,
 * what extra context it needs and how it is rendered.
 *
 * The key is `notifications_outbox.template` and a row of `public.message_kinds`. Adding a
 * kind: an entry here (or in appointment_kinds.ts, inbound_kinds.ts, staff_kinds.ts or
 * alert_kinds.ts, which this assembles), its template under templates/, a row in a migration,
 * and tests.
 */
// @ts-types="@types/react"
import { createElement } from "react";
import {
  CustomerConfirmationEmail,
  customerConfirmationSubject,
} from "../../templates/email/customer_confirmation_email.tsx";
import {
  StaffNewLeadAlertEmail,
  staffNewLeadAlertSubject,
} from "../../templates/email/staff_new_lead_email.tsx";
import { initialConfirmationSms } from "../../templates/sms/initial_confirmation_sms.ts";
import { crmNewLeadPayload } from "../../templates/webhook/crm_new_lead_webhook.ts";
import { slackNewLeadMessage } from "../../templates/webhook/slack_new_lead_webhook.ts";
import {
  customerEmail,
  given,
  type LeadMessageKind,
  type MessageKind,
  staffInbox,
} from "./kinds.ts";
export { isLeadKind } from "./kinds.ts";
import { APPOINTMENT_KINDS } from "./appointment_kinds.ts";
import { INBOUND_KINDS } from "./inbound_kinds.ts";
import { STAFF_KINDS } from "./staff_kinds.ts";
import { ALERT_KINDS } from "./alert_kinds.ts";
import { callbackPromise, callbackSentence } from "../leads/business_hours.ts";
import type { RenderContext } from "./render.ts";
import { renderEmail, renderSms } from "./render.ts";
import { receiverLabel } from "./setup.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";
import type { WebhookRequest } from "../channels/webhook.ts";

export type {
  Address,
  AlertMessageKind,
  Audience,
  InboundMessageKind,
  LeadEvent,
  LeadMessageKind,
  MessageEvent,
  MessageKind,
} from "./kinds.ts";

/** A configured receiver's URL, or the error that says it was unconfigured since planning. */
function configured(target: { url: string } | undefined, variable: string): string {
  if (!target) throw new Error(`${variable} is no longer set: the webhook cannot be sent`);
  return target.url;
}

/** When the confirmations say we will call: within 15 minutes while open, else at opening. */
function callbackFor(ctx: RenderContext): string {
  const hours = ctx.settings.business_hours;
  if (!hours) return callbackSentence({ kind: "within", minutes: 15 });
  return callbackSentence(
    callbackPromise(hours, ctx.settings.time_zone, ctx.lead.time_zone, ctx.now),
  );
}

const customerConfirmationEmail: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "customer",
  event: "new_lead",
  description: "Tells the customer we received their request, with its reference number.",
  address: (lead) => customerEmail(lead.email),
  render: (ctx) =>
    renderEmail(
      ctx,
      customerConfirmationSubject(ctx.lead),
      createElement(CustomerConfirmationEmail, {
        lead: ctx.lead,
        settings: ctx.settings,
        callback: callbackFor(ctx),
      }),
    ),
};

const staffNewLeadEmail: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "new_lead",
  description: "Alerts the shop's inbox with everything needed to call the customer back.",
  needs: { photoLinks: true },
  // To whose turn it is; the admin inbox alone when nobody is on shift (and always copied).
  address: (lead, setup, routing) =>
    routing.assigneeEmail
      ? { recipient: routing.assigneeEmail }
      : staffInbox(setup, `the staff alert of lead ${lead.reference_number}`),
  async render(ctx) {
    const email = await renderEmail(
      ctx,
      staffNewLeadAlertSubject(ctx.lead, ctx.priority),
      createElement(StaffNewLeadAlertEmail, {
        lead: ctx.lead,
        settings: ctx.settings,
        photoUrls: ctx.photoUrls,
        priority: ctx.priority,
        phoneSms: ctx.phoneSms,
        links: ctx.links,
      }),
    );
    const admin = ctx.setup.adminEmail.trim();
    return admin && admin !== email.to ? { ...email, cc: [admin] } : email;
  },
};

const initialConfirmationSmsKind: LeadMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "customer",
  event: "new_lead",
  description: "Texts the customer their reference number (only with SMS consent).",
  address: (lead) => given(lead.phone_e164, "missing_phone"),
  render: (ctx) => renderSms(ctx, initialConfirmationSms(ctx.lead, ctx.settings, callbackFor(ctx))),
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

/** Every message kind, in the order a lead's messages are planned. */
export const CATALOG = {
  customer_confirmation_email: customerConfirmationEmail,
  staff_new_lead_email: staffNewLeadEmail,
  initial_confirmation_sms: initialConfirmationSmsKind,
  crm_new_lead_webhook: crmNewLeadWebhook,
  slack_new_lead_webhook: slackNewLeadWebhook,
  ...STAFF_KINDS,
  ...APPOINTMENT_KINDS,
  ...INBOUND_KINDS,
  ...ALERT_KINDS,
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
