/**
 * The email channel: Resend. Emails wait in one queue; whenever a slot under Resend's rate
 * limit (shared by every function instance) opens, the next call takes everything queued by
 * then, lowest rank first, up to the batch endpoint's 100. The wait for a slot thus fills the
 * batch instead of wasting it. Resend's Idempotency-Key makes a retried call harmless: a
 * single email's key is its outbox key; a batch's key is derived from the keys it carries.
 */
import type { Resend } from "resend";
import { createHash } from "node:crypto";
import type {
  ChannelSender,
  Delivery,
  SendFailure,
  SendResult,
  Settle,
} from "../outbox/channel.ts";
import type { RateLimiter } from "../outbox/rate_limiter.ts";

/** What an email catalog entry renders. */
export interface EmailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  replyTo?: string;
}

/** An email as the Resend call gets it. */
export interface OutgoingEmail extends EmailMessage {
  key: string;
  from: string;
  headers?: Record<string, string>;
}

const TIMEOUT_MS = 10_000;
export const BATCH_LIMIT = 100;

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
  };
}

function body(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.headers ? { headers: email.headers } : {}),
  };
}

async function sendOneEmail(resend: Resend, email: OutgoingEmail): Promise<SendResult> {
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
      failure: resendFailure(error as ResendError, headers as Record<string, string> | null),
    };
  }
  return { ok: true, providerMessageId: data?.id ?? null };
}

/** Idempotency key of a batch: the same set of messages always gets the same key. */
function batchIdempotencyKey(keys: string[]): string {
  return "batch-" +
    createHash("sha256").update([...keys].sort().join("\n")).digest("hex").slice(0, 48);
}

/**
 * Sends up to BATCH_LIMIT emails in one call. The result for each email is in input order.
 * A batch refused as invalid (422) is resent one by one, so one bad address cannot sink
 * the others.
 */
async function sendEmailBatch(
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
    const failure = resendFailure(error as ResendError, headers as Record<string, string> | null);
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

/** Options for {@linkcode createEmailSender}. */
export interface EmailSenderOptions {
  resend: Resend;
  /** The From header (`FROM_EMAIL`). */
  from: string;
  /** Resend's per-team rate limit, shared by every sender. */
  limiter: RateLimiter;
}

interface Queued {
  delivery: Delivery<EmailMessage>;
  settle: Settle;
}

/** The email channel sender; one per function instance, so concurrent drains share batches. */
export function createEmailSender(opts: EmailSenderOptions): ChannelSender<EmailMessage> {
  let queue: Queued[] = [];
  let running: Promise<void> | null = null;

  async function sendChunk(chunk: Queued[], answered: () => Promise<void>) {
    let results: SendResult[];
    try {
      results = await sendEmailBatch(
        opts.resend,
        chunk.map(({ delivery: { row, payload } }) => ({
          ...payload,
          key: row.key,
          from: opts.from,
          headers: { "X-Entity-Ref-ID": row.key },
        })),
      );
    } finally {
      await answered();
    }
    const throttled = results.flatMap((r) =>
      !r.ok && r.failure.throttled ? [r.failure.retryAfterSeconds ?? 1] : []
    );
    // One pause for the whole batch: every sender waits, not only this one.
    if (throttled.length > 0) await opts.limiter.pauseFor(Math.max(...throttled) * 1000);
    const bySettle = Map.groupBy(chunk.map((q, i) => ({ q, i })), ({ q }) => q.settle);
    for (const [settle, items] of bySettle) {
      await settle(items.map(({ q, i }) => ({ row: q.delivery.row, result: results[i] })));
    }
  }

  let wake: (() => void) | undefined;

  async function run() {
    // Yield once so `running` is set before the loop can end; it is cleared in the same tick
    // as the loop's last check, so a later send() always starts a new run.
    await Promise.resolve();
    const inflight = new Set<Promise<void>>();
    const errors: unknown[] = [];
    try {
      while (errors.length === 0 && (queue.length > 0 || inflight.size > 0)) {
        // A partial batch waits while another call is on the wire: Resend counts calls, not
        // emails, so what arrives meanwhile should ride along. A full one goes at once.
        if (queue.length === 0 || (queue.length < BATCH_LIMIT && inflight.size > 0)) {
          await Promise.race([...inflight, new Promise<void>((r) => wake = r)]);
          continue;
        }
        const answered = await opts.limiter.take();
        // Taken after the slot opened: whatever arrived during the wait rides along.
        queue.sort((a, b) => a.delivery.row.rank - b.delivery.row.rank);
        const work: Promise<void> = sendChunk(queue.splice(0, BATCH_LIMIT), answered)
          .catch((err) => void errors.push(err))
          .finally(() => inflight.delete(work));
        inflight.add(work);
      }
      if (errors.length > 0) {
        // The rows still queued stay leased; the sweep takes them back when the lease ends.
        queue = [];
        await Promise.allSettled(inflight);
        throw errors[0];
      }
    } finally {
      running = null;
    }
  }

  return {
    channel: "email",
    provider: "Resend",
    send(deliveries, settle) {
      if (deliveries.length === 0) return Promise.resolve();
      queue.push(...deliveries.map((delivery) => ({ delivery, settle })));
      wake?.();
      running ??= run();
      return running;
    },
  };
}
