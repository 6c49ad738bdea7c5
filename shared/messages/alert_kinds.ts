/**
 * The admin's alerts about the notification system (planned by the sweep, shared/admin/
 * alerts.ts): by email to the admin inbox, or by text when email is the failing channel.
 */
// @ts-types="@types/react"
import { createElement } from "react";
import { AdminAlertEmail, adminAlertSubject } from "../../templates/email/admin_alert_email.tsx";
import { adminAlertSms } from "../../templates/sms/admin_alert_sms.ts";
import { type AlertMessageKind, staffInbox } from "./kinds.ts";
import { renderEmail, renderSms } from "./render.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";

const adminAlertEmail: AlertMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "system_alert",
  description:
    "Tells the admin inbox that the notification system needs attention (dead letters, a backlog, a failing provider), and when it has cleared.",
  address: (setup) => staffInbox(setup, "an alert"),
  render: (ctx) =>
    renderEmail(
      ctx,
      adminAlertSubject(ctx.alert),
      createElement(AdminAlertEmail, { alert: ctx.alert, settings: ctx.settings }),
    ),
};

const adminAlertSmsKind: AlertMessageKind<SmsMessage> = {
  channel: "sms",
  audience: "staff",
  event: "system_alert",
  description:
    "The same alert by text to ADMIN_PHONE (or the on-call phone), used when email is the failing channel.",
  address: (setup) => {
    const phone = setup.adminPhone ?? setup.onCallPhone;
    return phone ? { recipient: phone } : { recipient: null, missing: "no_admin_phone" };
  },
  render: (ctx) => renderSms(ctx, adminAlertSms(ctx.alert)),
};

/** The alert kinds (assembled into the catalog). */
export const ALERT_KINDS = {
  admin_alert_email: adminAlertEmail,
  admin_alert_sms: adminAlertSmsKind,
} as const;
