/**
 * How a catalog entry turns its template into a channel payload: an email's subject, HTML
 * and plain text (React Email, so every value from the lead is HTML-escaped), an SMS body.
 */
import { plainTextSelectors, render } from "@react-email/render";
// @ts-types="@types/html-to-text"
import { compile } from "html-to-text";
import type { ReactElement } from "react";
// Loaded with React rather than at the first render (where @react-email/render imports it):
// a process that sets NODE_ENV in between (see shared/platform/production.ts) would otherwise
// pair a development React with a production renderer, and every render would fail.
import "react-dom/server";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";
import type { LeadPriority } from "../compliance/priority.ts";
import type { BusinessSettings, Lead } from "../leads/types.ts";
import type { MessageSetup } from "./setup.ts";

/** What a template is rendered from. */
export interface RenderContext {
  lead: Lead;
  settings: BusinessSettings;
  /** The outbox row's recipient: an address, a phone, or a webhook receiver's label. */
  recipient: string;
  /** Signed URLs of the lead's photos (only for kinds that need them). */
  photoUrls: string[];
  priority: LeadPriority;
  /** Where webhooks go and the admin inbox, from this deployment's configuration. */
  setup: MessageSetup;
}

// What @react-email/render's toPlainText() does, compiled once: building html-to-text's
// selector tree per email cost more than converting it. Headings keep their case: html-to-text
// would shout them in capitals.
const toPlainText = compile({
  wordwrap: false,
  selectors: [
    ...plainTextSelectors,
    ...["h1", "h2"].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
});

/** An email to the row's recipient, replies going to the shop. */
export async function renderEmail(
  ctx: RenderContext,
  subject: string,
  element: ReactElement,
): Promise<EmailMessage> {
  const html = await render(element);
  return {
    to: ctx.recipient,
    replyTo: ctx.settings.reply_to_email,
    subject,
    html,
    // From the rendered HTML: what render(element, { plainText }) does after a second React render.
    text: toPlainText(html),
  };
}

/** A text to the row's recipient. */
export function renderSms(ctx: RenderContext, body: string): SmsMessage {
  return { to: ctx.recipient, body };
}
