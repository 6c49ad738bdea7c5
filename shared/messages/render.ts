/**
 * How a catalog entry turns its template into a channel payload: an email's subject, HTML
 * and plain text (React Email, so every value from the lead is HTML-escaped), an SMS body.
 */
import type { ReactElement } from "react";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";
import type { LeadPriority } from "../compliance/priority.ts";
import type { BusinessSettings, InboundSms, Lead, UnreachablePhone } from "../leads/types.ts";
import type { SmsConsentState } from "../compliance/sms_eligibility.ts";
import type { Appointment } from "../appointments/types.ts";
import type { MessageSetup } from "./setup.ts";
import { clip } from "../../templates/wording.ts";
import type { AlertNotice } from "../../templates/alert_notice.ts";
import type { HeldBackPage } from "../notify_lead/paging.ts";

/** A lead a staff digest names, as its email shows it. */
export interface DigestEntry {
  reference: string;
  /** Null when the lead no longer exists (deleted on request): the digest names its Ref. */
  lead: Lead | null;
  priority: LeadPriority;
  /** Its own signed "I'm on it" / "I called" links, as its alert would have carried. */
  links?: { claim: string; called: string };
}

/** What a message about a lead is rendered from. */
export interface RenderContext {
  lead: Lead;
  settings: BusinessSettings;
  /** The outbox row's recipient: an address, a phone, or a webhook receiver's label. */
  recipient: string;
  /** Signed URLs of the lead's photos (only for kinds that need them). */
  photoUrls: string[];
  priority: LeadPriority;
  /** The appointment version an appointment message is about (from its payload). */
  appointment?: Appointment;
  /** What is known about texting the lead's phone (for staff): consent and carrier reports. */
  phoneSms?: { consent: SmsConsentState; unreachable: UnreachablePhone | null };
  /** Where webhooks go and the admin inbox, from this deployment's configuration. */
  setup: MessageSetup;
  /** The moment the message is rendered for (how long a lead has waited, what to promise). */
  now: Date;
  /** Signed "I'm on it" / "I called" links for staff messages (lead-action), when configured. */
  links?: { claim: string; called: string };
  /** The on-call person's email (copied on escalations), when the roster has one. */
  onCallEmail?: string | null;
  /** The pages a digest gathers (from its payload). */
  heldBack?: HeldBackPage[];
  /** The alerts a staff digest gathers (from its payload), and the window they came in. */
  staffDigest?: { leads: DigestEntry[]; windowMinutes: number };
}

/** What a message about a text a customer sent is rendered from. */
export interface InboundRenderContext {
  inbound: InboundSms;
  /**
   * The phone's latest lead when the text arrived; null for a number no lead gave, and for
   * the keyword replies answered in TwiML (they name only the shop).
   */
  lead: Lead | null;
  settings: BusinessSettings;
  /** The outbox row's recipient: the staff inbox, or the customer's phone for a reply. */
  recipient: string;
  setup: MessageSetup;
}

/** What an alert to the admin is rendered from. */
export interface AlertRenderContext {
  alert: AlertNotice;
  settings: BusinessSettings;
  recipient: string;
  setup: MessageSetup;
}

/** What every renderer knows: where the message goes and the shop. */
type Addressed = Pick<RenderContext, "recipient" | "settings">;

let emailRenderer:
  | Promise<{
    render: (element: ReactElement) => Promise<string>;
    toPlainText: (html: string) => string;
  }>
  | undefined;

/**
 * The XHTML 1.0 Transitional doctype email clients expect, the one @react-email/render writes
 * before its markup.
 */
const EMAIL_DOCTYPE =
  '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">';

/**
 * The HTML renderer and the plain-text converter, loaded at the first email: they are most of
 * what a function would otherwise spend booting (CPU an edge worker pays from its budget), and
 * a worker that only plans or answers webhooks never needs them.
 *
 * The HTML is React's renderToStaticMarkup after @react-email/render's doctype: the same
 * markup as @react-email/render's render() without the Suspense comments its streaming
 * renderer leaves, at 0.2-0.3 ms an email instead of 2-3.6 ms (Deno 2.1.4; our templates
 * suspend nowhere). A burst of 1,000 leads renders 2,000 emails inside workers' CPU budget.
 */
function loadEmailRenderer() {
  return emailRenderer ??= (async () => {
    const [{ renderToStaticMarkup }, { plainTextSelectors }, { compile }] = await Promise.all([
      import("react-dom/server"),
      import("@react-email/render"),
      // @ts-types="@types/html-to-text"
      import("html-to-text"),
    ]);
    // What @react-email/render's toPlainText() does, compiled once: building html-to-text's
    // selector tree per email cost more than converting it. Headings keep their case:
    // html-to-text would shout them in capitals.
    const toPlainText = compile({
      wordwrap: false,
      selectors: [
        ...plainTextSelectors,
        ...["h1", "h2"].map((selector) => ({
          selector,
          options: { uppercase: false },
        })),
      ],
    });
    return {
      render: (element: ReactElement) =>
        Promise.resolve(EMAIL_DOCTYPE + renderToStaticMarkup(element)),
      toPlainText,
    };
  })();
}

/** The longest subject any email gets (inboxes show about 60; providers refuse far longer). */
export const MAX_SUBJECT_CHARS = 150;

/** An email to the row's recipient, replies going to the shop. */
export async function renderEmail(
  ctx: Addressed,
  subject: string,
  element: ReactElement,
): Promise<EmailMessage> {
  const { render, toPlainText } = await loadEmailRenderer();
  const html = await render(element);
  return {
    to: ctx.recipient,
    replyTo: ctx.settings.reply_to_email,
    // Every template keeps the customer's words in its subject short; this is the backstop.
    subject: clip(subject, MAX_SUBJECT_CHARS),
    html,
    // From the rendered HTML: what render(element, { plainText }) does after a second React render.
    text: toPlainText(html),
  };
}

/** A text to the row's recipient. */
export function renderSms(
  ctx: Pick<Addressed, "recipient">,
  body: string,
): SmsMessage {
  return { to: ctx.recipient, body };
}
