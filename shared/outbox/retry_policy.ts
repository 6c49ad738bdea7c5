/**
 * What to do after a failed send: pure decisions, no I/O. The channel that sent says whether
 * a failure is transient or throttled (see shared/channels/); this module says when to try
 * again: exponential backoff with jitter, never sooner than Retry-After, and never retrying
 * a permanent failure.
 */
import type { SendFailure } from "./channel.ts";

export type FailureDecision =
  /** countsAsAttempt false: we were only throttled, the message itself did not fail. */
  | { action: "retry"; delayMs: number; countsAsAttempt: boolean }
  | { action: "dead"; reason: string };

export interface RetryPolicy {
  /** First retry delay; doubled each attempt. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 2_000, maxDelayMs: 15 * 60_000 };

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
  if (!failure.transient) {
    return { action: "dead", reason: `permanent: ${describeFailure(failure)}` };
  }
  const random = opts.random ?? Math.random();
  const throttled = failure.throttled;
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

/** "HTTP 503 service_unavailable down for maintenance", "network timed out". */
export function describeFailure(
  f: Pick<SendFailure, "status" | "code" | "message" | "network">,
): string {
  const parts = [
    f.status !== undefined ? `HTTP ${f.status}` : f.network ? "network" : undefined,
    f.code,
    f.message,
  ];
  return parts.filter((p) => p !== undefined && p !== "").join(" ");
}
