/**
 * Email through Resend: one call for one email, the batch endpoint (≤100) for several.
 * Resend's Idempotency-Key makes a retried call harmless: the single-email key is the
 * outbox key; a batch's key is derived from the keys it carries.
 */
import type { Resend } from "resend";
import { createHash } from "node:crypto";
import type { SendFailure } from "./retry_policy.ts";

export interface OutgoingEmail {
  key: string;
  from: string;
  to: string;
  reply_to?: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
}

export type SendResult = { ok: true; providerMessageId: string | null } | {
  ok: false;
  failure: SendFailure;
};

const TIMEOUT_MS = 10_000;
export const BATCH_LIMIT = 100;

interface ResendError {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

function toFailure(error: ResendError, headers: Record<string, string> | null): SendFailure {
  const retryAfter = Number(headers?.["retry-after"]);
  return {
    status: error.statusCode ?? undefined,
    code: error.name,
    message: error.message ?? "unknown Resend error",
    network: error.statusCode === null || error.statusCode === undefined,
    retryAfterSeconds: Number.isFinite(retryAfter) && headers?.["retry-after"]
      ? retryAfter
      : undefined,
  };
}

function body(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.reply_to ? { replyTo: email.reply_to } : {}),
    ...(email.headers ? { headers: email.headers } : {}),
  };
}

export async function sendOneEmail(resend: Resend, email: OutgoingEmail): Promise<SendResult> {
  const { data, error, headers } = await resend.emails.send(
    body(email),
    {
      idempotencyKey: email.key,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    } as Parameters<Resend["emails"]["send"]>[1],
  );
  if (error) {
    return {
      ok: false,
      failure: toFailure(error as ResendError, headers as Record<string, string> | null),
    };
  }
  return { ok: true, providerMessageId: data?.id ?? null };
}

/** Idempotency key of a batch: the same set of messages always gets the same key. */
export function batchIdempotencyKey(keys: string[]): string {
  return "batch-" +
    createHash("sha256").update([...keys].sort().join("\n")).digest("hex").slice(0, 48);
}

/**
 * Sends up to BATCH_LIMIT emails in one call. The result for each email is in input order.
 * A batch refused as invalid (422) is resent one by one, so one bad address cannot sink
 * the others.
 */
export async function sendEmailBatch(
  resend: Resend,
  emails: OutgoingEmail[],
): Promise<SendResult[]> {
  if (emails.length === 1) return [await sendOneEmail(resend, emails[0])];
  const { data, error, headers } = await resend.batch.send(
    emails.map(body),
    {
      idempotencyKey: batchIdempotencyKey(emails.map((e) => e.key)),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    } as Parameters<Resend["batch"]["send"]>[1],
  );
  if (error) {
    const failure = toFailure(error as ResendError, headers as Record<string, string> | null);
    if (failure.status === 422) {
      const results: SendResult[] = [];
      for (const email of emails) results.push(await sendOneEmail(resend, email));
      return results;
    }
    return emails.map(() => ({ ok: false, failure }));
  }
  const ids = (data as { data?: Array<{ id: string }> } | null)?.data ?? [];
  return emails.map((_, i) => ({ ok: true, providerMessageId: ids[i]?.id ?? null }));
}
