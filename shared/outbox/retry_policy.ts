/**
 * What to do after a failed send: pure decisions, no I/O.
 * Transient failures (429, 5xx, timeouts, network) are retried with exponential backoff and
 * jitter, honouring Retry-After; permanent ones (Twilio 21211/21610/21614, Resend 4xx such
 * as 422) never are.
 */

/** A failed provider call, reduced to what the decision needs. */
export interface SendFailure {
  /** HTTP status, when the provider answered. */
  status?: number;
  /** Provider error code (Twilio's numeric code) or name (Resend's `name`). */
  code?: string | number;
  message: string;
  /** Seconds from a Retry-After header, when given. */
  retryAfterSeconds?: number;
  /** No answer at all: connection refused or dropped, timeout. */
  network?: boolean;
}

export type FailureDecision =
  /** countsAsAttempt false: we were only throttled, the message itself did not fail. */
  | { action: "retry"; delayMs: number; countsAsAttempt: boolean }
  | { action: "dead"; reason: string };

/** Twilio errors that mean "this message will never go": retrying cannot help. */
export const PERMANENT_TWILIO_CODES = new Set([21211, 21408, 21610, 21612, 21614]);

export interface RetryPolicy {
  /** First retry delay; doubled each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 2_000, maxDelayMs: 15 * 60_000 };

/** The provider throttled us (too many requests now), as opposed to failing the message. */
export function isThrottled(failure: SendFailure): boolean {
  return failure.code === "rate_limit_exceeded" || failure.code === 20429 ||
    (failure.status === 429 && failure.code !== "daily_quota_exceeded");
}

export function isTransient(failure: SendFailure): boolean {
  if (failure.network) return true;
  if (typeof failure.code === "number" && PERMANENT_TWILIO_CODES.has(failure.code)) return false;
  if (failure.code === 20429) return true;
  if (failure.status === undefined) return true;
  return failure.status === 429 || failure.status === 408 || failure.status >= 500 ||
    // Resend: the same idempotency key is still being processed; ask again shortly.
    failure.code === "concurrent_idempotent_requests";
}

/**
 * Backoff for the attempt that just failed (1-based): base * 2^(attempt-1), capped, with
 * ±50 % jitter so retries of a burst spread out; never sooner than Retry-After.
 */
export function backoffDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: number,
  retryAfterSeconds?: number,
) {
  const exponential = Math.min(
    policy.maxDelayMs,
    policy.baseDelayMs * 2 ** Math.max(0, attempt - 1),
  );
  const jittered = Math.round(exponential * (0.5 + random));
  const floor = retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : 0;
  return Math.max(jittered, floor);
}

/** The decision after attempt number `attempt` of `maxAttempts` failed. */
export function decideAfterFailure(
  failure: SendFailure,
  attempt: number,
  maxAttempts: number,
  opts: { policy?: RetryPolicy; random?: number } = {},
): FailureDecision {
  if (!isTransient(failure)) {
    return { action: "dead", reason: `permanent: ${describeFailure(failure)}` };
  }
  const random = opts.random ?? Math.random();
  const throttled = isThrottled(failure);
  // Being throttled says nothing about the message: it never uses up an attempt, or a burst
  // shared by several senders could dead-letter messages that would have gone a second later.
  if (!throttled && attempt >= maxAttempts) {
    return {
      action: "dead",
      reason: `gave up after ${attempt} attempts: ${describeFailure(failure)}`,
    };
  }
  const delayMs = failure.retryAfterSeconds !== undefined
    // The provider said when: wait that long (plus a little jitter), not the full backoff.
    ? Math.round(failure.retryAfterSeconds * 1000 * (1 + random * 0.2))
    : throttled
    ? Math.round(1000 * (1 + random))
    : backoffDelayMs(attempt, opts.policy ?? DEFAULT_RETRY_POLICY, random);
  return { action: "retry", delayMs, countsAsAttempt: !throttled };
}

export function describeFailure(f: SendFailure): string {
  const parts = [
    f.status !== undefined ? `HTTP ${f.status}` : f.network ? "network" : undefined,
    f.code,
    f.message,
  ];
  return parts.filter((p) => p !== undefined && p !== "").join(" ");
}
