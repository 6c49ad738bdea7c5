/**
 * The staff messages of distribution and speed-to-lead: the on-call text for a high-priority
 * lead, and the escalation (email to the admin inbox with the on-call person copied, text to
 * the on-call person) of a lead nobody acted on in time, the digest of the pages the
 * on-call phone's hourly cap held back (shared/notify_lead/paging.ts), and the digest of the
 * alert emails a burst held back from a staff member (shared/notify_lead/staff_digest.ts).
 * Staff texts follow no customer SMS rule: they are the shop's own people.
 */
// @ts-types="@types/react"
import { createElement } from "react";
import {
  StaffEscalationEmail,
  staffEscalationSubject,
} from "../../templates/email/staff_escalation_email.tsx";
import { staffEscalationSms } from "../../templates/sms/staff_escalation_sms.ts";
import { staffOnCallSms } from "../../templates/sms/staff_on_call_sms.ts";
import { staffOnCallDigestSms } from "../../templates/sms/staff_on_call_digest_sms.ts";
import { StaffDigestEmail, staffDigestSubject } from "../../templates/email/staff_digest_email.tsx";
import { type LeadMessageKind, type LeadRouting, staffInbox } from "./kinds.ts";
import { renderEmail, renderSms } from "./render.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";

/** The on-call phone; none on call: the text is not planned. */
function onCallAddress(_lead: unknown, _setup: unknown, routing: LeadRouting) {
  return routing.onCallPhone ? { recipient: routing.onCallPhone } : null;
}

const staffOnCallSmsKind: LeadMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "staff",
  event: "new_lead",
  description:
    'Texts the on-call person a high-priority lead: name, vehicle, service, Ref, phone and the "I\'m on it" link.',
  address: (_lead, _setup, routing) =>
    routing.priority === "high" && routing.onCallPhone ? { recipient: routing.onCallPhone } : null,
  render: (ctx) => renderSms(ctx, staffOnCallSms(ctx.lead, ctx.links?.claim ?? null)),
};

const staffEscalationEmailKind: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "lead_escalated",
  description:
    "Tells the admin and the on-call person that a lead has waited past the escalation time with no staff action.",
  address: (lead, setup) => staffInbox(setup, `the escalation of lead ${lead.reference_number}`),
  async render(ctx) {
    const waitedMs = ctx.now.getTime() - ctx.lead.created_at.getTime();
    const email = await renderEmail(
      ctx,
      staffEscalationSubject(ctx.lead, waitedMs),
      createElement(StaffEscalationEmail, {
        lead: ctx.lead,
        settings: ctx.settings,
        waitedMs,
        links: ctx.links,
      }),
    );
    const onCall = ctx.onCallEmail;
    return onCall && onCall !== email.to ? { ...email, cc: [onCall] } : email;
  },
};

const staffEscalationSmsKind: LeadMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "staff",
  event: "lead_escalated",
  description:
    "Texts the on-call person that a lead has waited past the escalation time with no staff action.",
  address: onCallAddress,
  render: (ctx) =>
    renderSms(
      ctx,
      staffEscalationSms(
        ctx.lead,
        ctx.now.getTime() - ctx.lead.created_at.getTime(),
        ctx.links?.claim ?? null,
      ),
    ),
};

const staffOnCallDigestSmsKind: LeadMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "staff",
  event: "on_call_digest",
  description:
    "One text to the on-call phone for the high-priority leads and escalations held back by the hourly cap: how many, and their Refs.",
  address: onCallAddress,
  render: (ctx) => {
    if (!ctx.heldBack?.length) throw new Error("the digest names no held-back page");
    return renderSms(
      ctx,
      staffOnCallDigestSms(ctx.heldBack, ctx.settings.on_call_sms_hourly_cap),
    );
  },
};

const staffDigestEmailKind: LeadMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "staff_digest",
  description:
    "One email to a staff member for the new-lead alerts held back in a burst (past staff_alerts_per_window in staff_alert_window_minutes): each lead with its priority, call button and links.",
  // Planned by the staff digest to the alerts' recipient; this is where it would go.
  address: (lead, setup, routing) =>
    routing.assigneeEmail
      ? { recipient: routing.assigneeEmail }
      : staffInbox(setup, `the staff digest of lead ${lead.reference_number}`),
  async render(ctx) {
    const digest = ctx.staffDigest;
    if (!digest?.leads.length) throw new Error("the digest names no lead");
    const email = await renderEmail(
      ctx,
      staffDigestSubject(digest.leads, digest.windowMinutes),
      createElement(StaffDigestEmail, {
        leads: digest.leads,
        settings: ctx.settings,
        windowMinutes: digest.windowMinutes,
      }),
    );
    // Copied like the alerts it stands for.
    const admin = ctx.setup.adminEmail.trim();
    return admin && admin !== email.to ? { ...email, cc: [admin] } : email;
  },
};

/** The distribution kinds, in plan order (assembled into the catalog). */
export const STAFF_KINDS = {
  staff_on_call_sms: staffOnCallSmsKind,
  staff_escalation_email: staffEscalationEmailKind,
  staff_escalation_sms: staffEscalationSmsKind,
  staff_on_call_digest_sms: staffOnCallDigestSmsKind,
  staff_digest_email: staffDigestEmailKind,
} as const;
