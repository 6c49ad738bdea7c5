/**
 * The appointment messages of the catalog: confirmation (or update) and cancellation by email
 * with a calendar invite and by SMS, and the reminder by SMS, or by email to a customer who
 * cannot be texted. Each renders the appointment version carried in its outbox payload.
 */
// @ts-types="@types/react"
import { createElement, type ReactElement } from "react";
import type { BusinessSettings, Lead } from "../leads/types.ts";
import type { Appointment } from "../appointments/types.ts";
import {
  AppointmentConfirmationEmail,
  appointmentConfirmationSubject,
  type AppointmentEmailProps,
} from "../../templates/email/appointment_confirmation_email.tsx";
import {
  AppointmentCancellationEmail,
  appointmentCancellationSubject,
} from "../../templates/email/appointment_cancellation_email.tsx";
import {
  AppointmentReminderEmail,
  appointmentReminderSubject,
} from "../../templates/email/appointment_reminder_email.tsx";
import { appointmentConfirmationSms } from "../../templates/sms/appointment_confirmation_sms.ts";
import { appointmentCancellationSms } from "../../templates/sms/appointment_cancellation_sms.ts";
import { appointmentReminderSms } from "../../templates/sms/appointment_reminder_sms.ts";
import { appointmentInvite } from "../../templates/calendar/appointment_invite.ts";
import { customerEmail, given, type LeadEvent, type LeadMessageKind } from "./kinds.ts";
import { type RenderContext, renderEmail, renderSms } from "./render.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";

/** The appointment an appointment message is about (from its payload). */
function appointmentOf(ctx: RenderContext): Appointment {
  if (!ctx.appointment) throw new TypeError("the message carries no appointment in its payload");
  return ctx.appointment;
}

/** An appointment email to the customer, with its calendar invite when it has one. */
function appointmentEmail(
  event: LeadEvent,
  description: string,
  subject: (appointment: Appointment) => string,
  body: (props: AppointmentEmailProps) => ReactElement,
  opts: { invite: boolean; insteadOf?: string },
): LeadMessageKind<EmailMessage> {
  return {
    channel: "email",
    audience: "customer",
    event,
    description,
    insteadOf: opts.insteadOf,
    address: (lead) => customerEmail(lead.email),
    async render(ctx) {
      const appointment = appointmentOf(ctx);
      const email = await renderEmail(
        ctx,
        subject(appointment),
        body({ lead: ctx.lead, settings: ctx.settings, appointment }),
      );
      return opts.invite
        ? { ...email, attachments: [appointmentInvite(ctx.lead, appointment, ctx.settings)] }
        : email;
    },
  };
}

/** An appointment text to the customer (SMS law applies). */
function appointmentSms(
  event: LeadEvent,
  description: string,
  body: (lead: Lead, appointment: Appointment, settings: BusinessSettings) => string,
): LeadMessageKind<SmsMessage> {
  return {
    channel: "sms",
    audience: "customer",
    event,
    description,
    address: (lead) => given(lead.phone_e164, "missing_phone"),
    render: (ctx) => renderSms(ctx, body(ctx.lead, appointmentOf(ctx), ctx.settings)),
  };
}

/** The appointment kinds, keyed by catalog name. */
export const APPOINTMENT_KINDS = {
  appointment_confirmation_email: appointmentEmail(
    "appointment_scheduled",
    "Confirms (or updates) an appointment: details, technician, address, preparation, and a calendar invite.",
    appointmentConfirmationSubject,
    (props) => createElement(AppointmentConfirmationEmail, props),
    { invite: true },
  ),
  appointment_confirmation_sms: appointmentSms(
    "appointment_scheduled",
    "Texts the confirmed (or moved) appointment: date, window, address, technician.",
    appointmentConfirmationSms,
  ),
  appointment_cancellation_email: appointmentEmail(
    "appointment_cancelled",
    "Tells the customer the appointment is cancelled; its invite removes it from their calendar.",
    appointmentCancellationSubject,
    (props) => createElement(AppointmentCancellationEmail, props),
    { invite: true },
  ),
  appointment_cancellation_sms: appointmentSms(
    "appointment_cancelled",
    "Texts that the appointment is cancelled and how to book again.",
    appointmentCancellationSms,
  ),
  appointment_reminder_sms: appointmentSms(
    "appointment_reminder",
    "Reminds the customer about 24 hours ahead: date, window, address, technician, how to reschedule.",
    appointmentReminderSms,
  ),
  appointment_reminder_email: appointmentEmail(
    "appointment_reminder",
    "The reminder by email, for a customer who cannot be texted.",
    appointmentReminderSubject,
    (props) => createElement(AppointmentReminderEmail, props),
    { invite: false, insteadOf: "appointment_reminder_sms" },
  ),
};
