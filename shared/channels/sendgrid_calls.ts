/**
 * SendGrid's v3 Mail Send call, the email channel's fallback when Resend is failing. It is a
 * plain `fetch`: `@sendgrid/mail` is a Node wrapper around this one request (axios and its
 * own client) and adds nothing the edge runtime needs. One email per call: our emails differ
 * in every part, so SendGrid's personalizations (up to 1,000 recipients of one content) do not
 * batch them. SendGrid takes no idempotency key, so a call whose answer was lost cannot be
 * asked again safely (see email.ts for what becomes of it).
 */
import type { SendFailure, SendResult } from "../outbox/channel.ts";
import type { OutgoingEmail } from "./resend_calls.ts";

/** Where SendGrid's API is; the local stack points SENDGRID_BASE_URL at its fake. */
export const SENDGRID_API_URL = "https://api.sendgrid.com";

const TIMEOUT_MS = 10_000;

/** A SendGrid account: its API key, and where its API is. */
export interface SendGridAccount {
  apiKey: string;
  /** Default {@linkcode SENDGRID_API_URL}. */
  baseUrl?: string;
  /**
   * The From header SendGrid sends with (SENDGRID_FROM_EMAIL): it must be a verified sender
   * there. `Name <address>` or a bare address.
   */
  from: string;
}

/** `Pink Auto Glass <noreply@x.com>` → `{ email, name }` (pure). */
export function parseAddress(address: string): { email: string; name?: string } {
  const named = address.match(/^\s*"?([^"<]*?)"?\s*<\s*([^<>\s]+)\s*>\s*$/);
  if (named) return named[1] ? { email: named[2], name: named[1] } : { email: named[2] };
  return { email: address.trim() };
}

/**
 * The Mail Send body for one email (pure): the same subject, parts, reply-to, headers and
 * attachments as the Resend call, the outbox key in `custom_args` so SendGrid's events name
 * the message they are about. SendGrid refuses an address twice in one personalization, so a
 * copy to the recipient is dropped.
 */
export function mailSendBody(email: OutgoingEmail, from: string) {
  const to = email.to.toLowerCase();
  const cc = [...new Set((email.cc ?? []).map((a) => a.trim()))]
    .filter((a) => a.toLowerCase() !== to);
  return {
    personalizations: [{
      to: [{ email: email.to }],
      ...(cc.length > 0 ? { cc: cc.map((a) => ({ email: a })) } : {}),
    }],
    from: parseAddress(from),
    ...(email.replyTo ? { reply_to: parseAddress(email.replyTo) } : {}),
    subject: email.subject,
    // SendGrid requires text/plain before text/html.
    content: [
      { type: "text/plain", value: email.text },
      { type: "text/html", value: email.html },
    ],
    ...(email.attachments?.length
      ? {
        attachments: email.attachments.map((a) => ({
          content: a.content,
          filename: a.filename,
          type: a.contentType,
          disposition: "attachment",
        })),
      }
      : {}),
    ...(email.headers ? { headers: email.headers } : {}),
    custom_args: { outbox_key: email.key },
  };
}

interface SendGridErrors {
  errors?: Array<{ message?: string; field?: string | null }>;
}

/**
 * SendGrid's answer as a classified failure (pure). 400 (a bad request), 401/403 (the key),
 * 413 (too large) never go by retrying; 429 is throttling, until `X-RateLimit-Reset` (Unix
 * seconds); 5xx is transient.
 */
export function sendGridFailure(
  status: number,
  body: SendGridErrors | null,
  headers: Headers,
  now: Date,
): SendFailure {
  const first = body?.errors?.[0];
  const reset = Number(headers.get("x-ratelimit-reset"));
  const retryAfter = status === 429 && Number.isFinite(reset) && reset > 0
    ? Math.max(1, Math.ceil(reset - now.getTime() / 1000))
    : undefined;
  return {
    status,
    ...(first?.field ? { code: first.field } : {}),
    message: first?.message ?? `SendGrid answered ${status}`,
    transient: status === 429 || status === 408 || status >= 500,
    throttled: status === 429,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    // "Does not contain a valid address." on personalizations.0.to.0.email
    ...(status === 400 && /personalizations\.\d+\.to/.test(first?.field ?? "")
      ? { recipientRefused: "invalid_address" }
      : {}),
    provider: "SendGrid",
  };
}

/** Sends one email through `POST /v3/mail/send`: 202 with `X-Message-Id` is accepted. */
export async function sendThroughSendGrid(
  account: SendGridAccount,
  email: OutgoingEmail,
  now: () => Date = () => new Date(),
): Promise<SendResult> {
  let res: Response;
  try {
    res = await fetch(`${(account.baseUrl ?? SENDGRID_API_URL).replace(/\/+$/, "")}/v3/mail/send`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.apiKey}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(mailSendBody(email, account.from)),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    return {
      ok: false,
      failure: {
        message: `SendGrid unreachable: ${(err as Error).name}`,
        network: true,
        transient: true,
        throttled: false,
        provider: "SendGrid",
      },
    };
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel();
    return { ok: true, providerMessageId: res.headers.get("x-message-id"), provider: "SendGrid" };
  }
  const body = await res.json().catch(() => null) as SendGridErrors | null;
  return { ok: false, failure: sendGridFailure(res.status, body, res.headers, now()) };
}
