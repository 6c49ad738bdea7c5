/**
 * Turns a planned message into what a provider is sent: subject, HTML and plain text for
 * an email (React Email, so every value from the lead is HTML-escaped), body and segment
 * count for an SMS.
 */
import { render, toPlainText } from "@react-email/render";
// @ts-types="@types/react"
import { createElement, type ReactElement } from "react";
import { SegmentedMessage } from "sms-segments-calculator";
import {
  CustomerConfirmationEmail,
  customerConfirmationSubject,
} from "../../templates/email/customer_confirmation.tsx";
import {
  StaffNewLeadAlertEmail,
  staffNewLeadAlertSubject,
} from "../../templates/email/staff_new_lead_alert.tsx";
import { initialConfirmationSms } from "../../templates/sms/initial_confirmation.ts";
import type { LeadPriority } from "../priority.ts";
import type { BusinessSettings, Lead } from "../types.ts";
import type { TemplateName } from "./plan_new_lead.ts";

/** What a template needs to be rendered. */
export interface RenderContext {
  lead: Lead;
  settings: BusinessSettings;
  /** Signed URLs of the lead's photos (staff alert only). */
  photoUrls: string[];
  priority: LeadPriority;
}

/** A rendered email. */
export interface RenderedEmail {
  channel: "email";
  subject: string;
  html: string;
  text: string;
}

/** A rendered SMS; `segments` is what the carrier bills. */
export interface RenderedSms {
  channel: "sms";
  body: string;
  segments: number;
  encoding: "GSM-7" | "UCS-2";
}

export type RenderedMessage = RenderedEmail | RenderedSms;

// Headings keep their case in the plain-text part: html-to-text would shout them in capitals.
const plainTextOptions = {
  selectors: ["h1", "h2"].map((selector) => ({ selector, options: { uppercase: false } })),
};

async function renderEmail(subject: string, element: ReactElement): Promise<RenderedEmail> {
  const html = await render(element);
  // From the rendered HTML: what render(element, { plainText }) does after a second React render.
  return { channel: "email", subject, html, text: toPlainText(html, plainTextOptions) };
}

function renderSms(body: string): RenderedSms {
  const message = new SegmentedMessage(body);
  return {
    channel: "sms",
    body,
    segments: message.segmentsCount,
    encoding: message.encodingName,
  };
}

/** Renders one template for one lead. */
export function renderMessage(
  template: TemplateName,
  ctx: RenderContext,
): Promise<RenderedMessage> {
  switch (template) {
    case "customer_confirmation_email":
      return renderEmail(
        customerConfirmationSubject(ctx.lead),
        createElement(CustomerConfirmationEmail, { lead: ctx.lead, settings: ctx.settings }),
      );
    case "staff_new_lead_email":
      return renderEmail(
        staffNewLeadAlertSubject(ctx.lead),
        createElement(StaffNewLeadAlertEmail, {
          lead: ctx.lead,
          settings: ctx.settings,
          photoUrls: ctx.photoUrls,
          priority: ctx.priority,
        }),
      );
    case "initial_confirmation_sms":
      return Promise.resolve(renderSms(initialConfirmationSms(ctx.lead, ctx.settings)));
    default: {
      const unknown: never = template;
      return Promise.reject(new TypeError(`Cannot render unknown template "${unknown}"`));
    }
  }
}
