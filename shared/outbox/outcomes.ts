/**
 * Where a claimed row ends up, decided without I/O: from its preparation (held back, or to be
 * sent on its channel) and from its provider's answer (sent, retried later, or dead).
 */
import type { Answer, Delivery, Outcome, Preparation, SendFailure } from "./channel.ts";
import type { Channel, OutboxRow } from "./store.ts";
import { decideAfterFailure, describeFailure, type RetryPolicy } from "./retry_policy.ts";

/** A provider's answer as an outcome: sent, or what the retry policy makes of the failure (pure). */
export function outcomeOf(
  { row, result }: Answer,
  provider: string,
  policy: RetryPolicy | undefined,
): Outcome {
  if (result.ok) {
    return {
      row,
      kind: "sent",
      provider: result.provider ?? provider,
      providerMessageId: result.providerMessageId,
      ...(result.reconciled ? { reconciled: true } : {}),
      ...(result.segments ? { segments: result.segments } : {}),
    };
  }
  if (result.failure.recipientRefused) {
    return { row, kind: "suppressed", reason: result.failure.recipientRefused };
  }
  const decision = decideAfterFailure(result.failure, row.attempts, row.max_attempts, { policy });
  // A failure with a status or a network error came from a call; others (a render that
  // failed, a message held back) called no provider.
  const called = result.failure.status !== undefined || result.failure.network === true;
  const by = called ? { provider: result.failure.provider ?? provider } : {};
  if (decision.action === "dead") {
    return { row, kind: "dead", reason: decision.reason, failure: result.failure, ...by };
  }
  return {
    row,
    kind: "retry",
    error: describeFailure(result.failure),
    delayMs: decision.delayMs,
    countsAsAttempt: decision.countsAsAttempt,
    ...(result.failure.network ? { inDoubt: true } : {}),
    ...by,
  };
}

/**
 * Splits prepared rows into deliveries per channel and outcomes settled without sending
 * (suppressed, deferred, dead, or back to retry when preparing failed or no sender is here).
 */
export function sortPreparations(
  prepared: Preparation[],
  hasSender: (channel: Channel) => boolean,
  policy?: RetryPolicy,
): { held: Outcome[]; toSend: Map<Channel, Delivery[]> } {
  const held: Outcome[] = [];
  const toSend = new Map<Channel, Delivery[]>();
  const fail = (row: OutboxRow, failure: SendFailure) =>
    held.push(outcomeOf({ row, result: { ok: false, failure } }, "", policy));
  for (const p of prepared) {
    if (p.action === "send" && hasSender(p.row.channel)) {
      toSend.set(p.row.channel, [...(toSend.get(p.row.channel) ?? []), p]);
    } else if (p.action === "send") {
      // Another function may have this channel's sender: give the row back for later.
      fail(p.row, {
        message: `no ${p.row.channel} sender here`,
        transient: true,
        throttled: false,
      });
    } else if (p.action === "fail") fail(p.row, p.failure);
    else if (p.action === "suppress") {
      held.push({ row: p.row, kind: "suppressed", reason: p.reason });
    } else if (p.action === "defer") {
      held.push({ row: p.row, kind: "deferred", reason: p.reason, until: p.until });
    } else held.push({ row: p.row, kind: "dead", reason: p.reason });
  }
  return { held, toSend };
}
