/**
 * The two Resend calls the email channel makes, and how their answers read. `POST /emails`
 * carries one email and is the only one that takes attachments; `POST /emails/batch` carries
 * up to 100 without them. Both go under an Idempotency-Key, so a call repeated under its key
 * is answered as the first one was (or refused, if its body changed) instead of sending twice.
 */
import type { Resend } from "resend";
import { createHash } from "node:crypto";
import type { SendFailure, SendResult } from "../outbox/channel.ts";
import type { ProviderLimits } from "../outbox/rate_limiter.ts";
import type { EmailMessage } from "./email.ts";

/** An email as the Resend call gets it. */
export interface OutgoingEmail extends EmailMessage {
  key: string;
  from: string;
  headers?: Record<string, string>;
}

const TIMEOUT_MS = 10_000;

interface ResendError {
  name?: string;
  message?: string;
  statusCode?: number | null;
}

/**
 * Resend's error as a classified failure. A 422 (validation) or other 4xx never goes by
 * retrying; 429 rate_limit_exceeded is throttling (daily_quota_exceeded is not: it counts).
 */
export function resendFailure(
  error: ResendError,
  headers: Record<string, string> | null = null,
): SendFailure {
  const status = error.statusCode ?? undefined;
  const retryAfter = Number(headers?.["retry-after"]);
  const network = status === undefined;
  const throttled = error.name === "rate_limit_exceeded" ||
    (status === 429 && error.name !== "daily_quota_exceeded");
  return {
    status,
    code: error.name,
    message: error.message ?? "unknown Resend error",
    network,
    throttled,
    transient: network || status === 429 || status === 408 || status >= 500 ||
      // The same idempotency key is still being processed: ask again shortly.
      error.name === "concurrent_idempotent_requests",
    retryAfterSeconds: Number.isFinite(retryAfter) && headers?.["retry-after"]
      ? retryAfter
      : undefined,
    // "Invalid `to` field. The email address needs to follow the … format."
    ...(status === 422 && error.name === "validation_error" && /`to`/.test(error.message ?? "")
      ? { recipientRefused: "invalid_address" }
      : {}),
  };
}

/**
 * The limit an answer states (`ratelimit-limit`, on successes and errors alike), or null when
 * it states none (pure).
 */
export function resendLimits(headers: Record<string, string> | null): ProviderLimits | null {
  const limit = Number(headers?.["ratelimit-limit"]);
  return Number.isInteger(limit) && limit > 0 ? { limit } : null;
}

/** How a Resend call is made. */
export interface ResendCallOptions {
  /**
   * The key was used before by a call whose answer was lost: if Resend refuses it as used
   * with another body, that call was accepted and the emails went.
   */
  reconciling?: boolean;
  /** Told the limit the answer states (see {@linkcode resendLimits}). */
  onLimits?: (limits: ProviderLimits) => void;
}

function observe(headers: unknown, opts: ResendCallOptions) {
  const limits = resendLimits(headers as Record<string, string> | null);
  if (limits) opts.onLimits?.(limits);
}

/** The fields both endpoints take (the SDK renames them to Resend's snake_case). */
function body(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    ...(email.cc && email.cc.length > 0 ? { cc: email.cc } : {}),
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.headers ? { headers: email.headers } : {}),
  };
}

/**
 * A refusal of a call repeated under its key, whose first answer was lost: Resend refuses the
 * key when the body changed (a re-signed link, a new DTSTAMP), which proves the first call was
 * accepted.
 */
function provesEarlierCall(failure: SendFailure, reconciling: boolean): boolean {
  return reconciling && failure.code === "invalid_idempotent_request";
}

/** Sends one email, with its attachments, under its own outbox key. */
export async function sendOneEmail(
  resend: Resend,
  email: OutgoingEmail,
  opts: ResendCallOptions = {},
): Promise<SendResult> {
  const attachments = email.attachments?.map(({ filename, content, contentType }) => ({
    filename,
    content,
    contentType,
  }));
  const { data, error, headers } = await resend.emails.send(
    { ...body(email), ...(attachments?.length ? { attachments } : {}) },
    {
      idempotencyKey: email.key,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    } as Parameters<Resend["emails"]["send"]>[1],
  );
  observe(headers, opts);
  if (error) {
    const failure = resendFailure(error as ResendError, headers as Record<string, string> | null);
    return provesEarlierCall(failure, opts.reconciling === true)
      ? { ok: true, providerMessageId: null, reconciled: true }
      : { ok: false, failure };
  }
  return { ok: true, providerMessageId: data?.id ?? null };
}

/** Idempotency key of a batch: the same set of messages always gets the same key. */
export function batchIdempotencyKey(keys: string[]): string {
  return "batch-" +
    createHash("sha256").update([...keys].sort().join("\n")).digest("hex").slice(0, 48);
}

/** True when `ref` names a batch call (else it is an outbox key, for a single send). */
export const isBatchRef = (ref: string) => ref.startsWith("batch-");

/**
 * Sends up to 100 emails (none with attachments) in one call under `opts.key`. The result for
 * each email is in input order.
 */
export async function sendEmailBatch(
  resend: Resend,
  emails: OutgoingEmail[],
  opts: ResendCallOptions & { key: string },
): Promise<{ results: SendResult[]; invalid: boolean }> {
  const { data, error, headers } = await resend.batch.send(
    emails.map(body),
    {
      idempotencyKey: opts.key,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    } as Parameters<Resend["batch"]["send"]>[1],
  );
  observe(headers, opts);
  if (error) {
    const failure = resendFailure(error as ResendError, headers as Record<string, string> | null);
    if (provesEarlierCall(failure, opts.reconciling === true)) {
      return {
        results: emails.map(() => ({ ok: true, providerMessageId: null, reconciled: true })),
        invalid: false,
      };
    }
    return { results: emails.map(() => ({ ok: false, failure })), invalid: failure.status === 422 };
  }
  const ids = (data as { data?: Array<{ id: string }> } | null)?.data ?? [];
  return {
    results: emails.map((_, i) => ({ ok: true, providerMessageId: ids[i]?.id ?? null })),
    invalid: false,
  };
}
