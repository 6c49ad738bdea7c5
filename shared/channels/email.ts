/**
 * The email channel: Resend. Emails wait in one queue; whenever a slot under Resend's rate
 * limit (shared by every function instance) opens, the next call takes everything queued by
 * then, lowest rank first, up to the batch endpoint's 100. The wait for a slot thus fills the
 * batch instead of wasting it. Resend's Idempotency-Key makes a repeated call harmless: a
 * single email's key is its outbox key, a batch's is derived from the keys it carries, and the
 * key is recorded on the rows before the call (send_ref). An email whose call got no answer
 * goes again under that same key, with the same batch mates, never in a new batch: Resend
 * then replays its first answer (or refuses the changed body) instead of sending it twice.
 * An email with attachments never joins a batch (the batch endpoint takes none): it is a call
 * of its own, under its own key. The calls themselves are in resend_calls.ts.
 *
 * With a SendGrid account (`failover`), email goes through SendGrid while Resend's shared
 * circuit is open, one email per call; email_failover.ts has the rules, above all that an
 * email in doubt at Resend never goes to SendGrid.
 */
import type { Resend } from "resend";
import {
  type ChannelSender,
  type Delivery,
  LEASE_LOST,
  type SendContext,
  type SendFailure,
  type SendResult,
} from "../outbox/channel.ts";
import type { ProviderLimits, RateLimiter } from "../outbox/rate_limiter.ts";
import {
  batchIdempotencyKey,
  isBatchRef,
  type OutgoingEmail,
  sendEmailBatch,
  sendOneEmail,
} from "./resend_calls.ts";
import { type SendGridAccount, sendThroughSendGrid } from "./sendgrid_calls.ts";
import {
  type Circuit,
  HELD_FOR_RESEND,
  mayFailOver,
  resendCallVerdict,
  routeOf,
  sendGridRef,
  UNSETTLED_AT_SENDGRID,
} from "./email_failover.ts";

/** A file an email carries, e.g. a calendar invite. */
export interface EmailAttachment {
  filename: string;
  /** The file's bytes, base64. */
  content: string;
  /** e.g. `text/calendar; charset=utf-8; method=REQUEST`. */
  contentType: string;
}

/** What an email catalog entry renders. */
export interface EmailMessage {
  to: string;
  /** Copied (the admin inbox on an alert to the assignee). */
  cc?: string[];
  subject: string;
  html: string;
  text: string;
  replyTo?: string;
  /** Sent through `POST /emails`, alone: Resend's batch endpoint takes no attachments. */
  attachments?: EmailAttachment[];
}

/** A row another sender took over before our call: it must not go from here. */
export const BATCH_LIMIT = 100;

/** Options for {@linkcode createEmailSender}. */
export interface EmailSenderOptions {
  resend: Resend;
  /** The From header (`FROM_EMAIL`). */
  from: string;
  /**
   * Resend's per-team rate limit, shared by every sender: told the limit each answer states
   * (`ratelimit-limit`), and paused by a 429's retry-after.
   */
  limiter: RateLimiter;
  /** SendGrid, for when Resend's circuit is open. Unset: Resend alone, whatever happens. */
  failover?: EmailFailover;
}

/** The second email provider and what decides when it is used. */
export interface EmailFailover {
  account: SendGridAccount;
  /** SendGrid's rate limit, shared by every sender. */
  limiter: RateLimiter;
  /** Resend's circuit, shared by every sender. */
  circuit: Circuit;
}

interface Queued {
  delivery: Delivery<EmailMessage>;
  ctx: SendContext;
}

/** The key an email in doubt must go again under, or null when it is free to join any call. */
function pendingRef({ delivery: { row } }: Queued): string | null {
  return row.in_doubt_since !== null ? row.send_ref : null;
}

/** True for an email that must go alone through `POST /emails`. */
function hasAttachments({ delivery: { payload } }: Queued): boolean {
  return (payload.attachments?.length ?? 0) > 0;
}

/**
 * The next call's members, from a queue sorted by rank: an email in doubt goes with exactly
 * the mates of its earlier call (under that call's key); a free email with attachments goes
 * alone; the other free ones fill a batch (pure). Members are in outbox order, so a call
 * repeated under its key carries the same batch.
 */
export function nextCall<Q extends Queued>(queue: Q[]): { members: Q[]; ref: string | null } {
  const ref = pendingRef(queue[0]);
  // In doubt, the earlier call's key alone decides: an email sent with attachments went alone
  // under its own key, so it goes alone again; changing a batch's members could lose mail.
  if (ref === null && hasAttachments(queue[0])) return { members: [queue[0]], ref };
  const members = queue.filter((q) => pendingRef(q) === ref && (ref !== null || !hasAttachments(q)))
    .slice(0, BATCH_LIMIT)
    .sort((a, b) => Number(a.delivery.row.id) - Number(b.delivery.row.id));
  return { members, ref };
}

/** The email channel sender; one per function instance, so concurrent drains share batches. */
export function createEmailSender(opts: EmailSenderOptions): ChannelSender<EmailMessage> {
  let queue: Queued[] = [];
  let running: Promise<void> | null = null;

  const outgoing = ({ delivery: { row, payload } }: Queued): OutgoingEmail => ({
    ...payload,
    key: row.key,
    from: opts.from,
    headers: { "X-Entity-Ref-ID": row.key },
  });

  /**
   * Records the call's key on its rows, then makes the call with the rows still ours; the
   * limit its answer states goes to `stated`.
   */
  async function call(
    members: Queued[],
    ref: string | null,
    stated: ProviderLimits[],
  ): Promise<Map<Queued, SendResult>> {
    const onLimits = (limits: ProviderLimits) => void stated.push(limits);
    const key = ref ??
      (members.length === 1 ? members[0].delivery.row.key : batchIdempotencyKey(
        members.map((q) => q.delivery.row.key),
      ));
    // Each drain marks its own rows: a drain knows what it put on the wire by its marks, and
    // one about to end hands back the rest (a row marked by another drain's call would go back
    // as unsent, and be sent again in a new batch).
    const held = new Set<string>();
    await Promise.all(
      [...Map.groupBy(members, (q) => q.ctx.onTheWire)].map(async ([onTheWire, qs]) => {
        for (const r of await onTheWire(qs.map((q) => q.delivery.row), key)) held.add(r.id);
      }),
    );
    const ours = members.filter((q) => held.has(q.delivery.row.id));
    const results = new Map<Queued, SendResult>(
      members.filter((q) => !ours.includes(q)).map((q) => [q, { ok: false, failure: LEASE_LOST }]),
    );
    if (ours.length === 0) return results;
    if (!isBatchRef(key)) {
      results.set(
        ours[0],
        await sendOneEmail(opts.resend, outgoing(ours[0]), { reconciling: ref !== null, onLimits }),
      );
      return results;
    }
    const batch = await sendEmailBatch(opts.resend, ours.map(outgoing), {
      key,
      reconciling: ref !== null,
      onLimits,
    });
    if (batch.invalid) {
      // One bad address must not sink the others: each goes alone, under its own key.
      for (const q of ours) {
        const [mine] = await q.ctx.onTheWire([q.delivery.row], q.delivery.row.key);
        results.set(
          q,
          mine
            ? await sendOneEmail(opts.resend, outgoing(q), { onLimits })
            : { ok: false, failure: LEASE_LOST },
        );
      }
      return results;
    }
    ours.forEach((q, i) => results.set(q, batch.results[i]));
    return results;
  }

  async function sendChunk(chunk: Queued[], ref: string | null, answered: () => Promise<void>) {
    let results: Map<Queued, SendResult>;
    const stated: ProviderLimits[] = [];
    try {
      results = await call(chunk, ref, stated);
    } finally {
      await answered();
    }
    // The latest answer's word on the limit: every sender's next call counts against it.
    if (stated.length > 0) await opts.limiter.learn(stated[stated.length - 1]);
    if (opts.failover) {
      const verdict = resendCallVerdict([...results.values()]);
      const state = verdict === null ? null : await opts.failover.circuit.record(
        verdict,
        [...results.values()].flatMap((r) => r.ok ? [] : [r.failure])[0],
      );
      // Refused by Resend, so not taken: these go through SendGrid now, not after a backoff.
      // A repeat of a call in doubt proves nothing by its refusal: those stay with Resend.
      if (state === "open" && ref === null) {
        const refused = chunk.filter((q) => mayFailOver(results.get(q)!));
        requeue(refused);
        chunk = chunk.filter((q) => !refused.includes(q));
      }
    }
    const throttled = [...results.values()].flatMap((r) =>
      !r.ok && r.failure.throttled ? [r.failure.retryAfterSeconds ?? 1] : []
    );
    // One pause for the whole batch: every sender waits, not only this one.
    if (throttled.length > 0) await opts.limiter.pauseFor(Math.max(...throttled) * 1000);
    const bySettle = Map.groupBy(chunk, (q) => q.ctx.settle);
    for (const [settle, items] of bySettle) {
      await settle(items.map((q) => ({ row: q.delivery.row, result: results.get(q)! })));
    }
  }

  let wake: (() => void) | undefined;

  function requeue(items: Queued[]) {
    queue.push(...items);
    wake?.();
  }

  /** Settles without a call: held for Resend, or in doubt at SendGrid. */
  async function settleUncalled(items: Queued[], failure: SendFailure) {
    for (const [settle, qs] of Map.groupBy(items, (q) => q.ctx.settle)) {
      await settle(qs.map((q) => ({ row: q.delivery.row, result: { ok: false, failure } })));
    }
  }

  /** One email through SendGrid, marked on the wire under its SendGrid ref first. */
  async function sendOneThroughSendGrid(q: Queued, answered: () => Promise<void>) {
    const failover = opts.failover!;
    let result: SendResult;
    try {
      const [mine] = await q.ctx.onTheWire([q.delivery.row], sendGridRef(q.delivery.row.key));
      result = mine
        ? await sendThroughSendGrid(failover.account, outgoing(q))
        : { ok: false, failure: LEASE_LOST };
    } finally {
      await answered();
    }
    if (!result.ok && result.failure.throttled) {
      await failover.limiter.pauseFor((result.failure.retryAfterSeconds ?? 1) * 1000);
    }
    await q.ctx.settle([{ row: q.delivery.row, result }]);
  }

  /**
   * With Resend's circuit open: what is in doubt at Resend is held, and the next free email
   * goes through SendGrid.
   */
  async function failOver(track: (work: Promise<void>) => void): Promise<void> {
    const held = queue.filter((q) => routeOf(pendingRef(q), false) === "hold");
    queue = queue.filter((q) => !held.includes(q));
    if (held.length > 0) track(settleUncalled(held, HELD_FOR_RESEND));
    queue.sort((a, b) => a.delivery.row.rank - b.delivery.row.rank);
    const next = queue.find((q) => routeOf(pendingRef(q), false) === "sendgrid");
    if (next === undefined) return;
    const answered = await opts.failover!.limiter.take();
    queue = queue.filter((q) => q !== next);
    track(sendOneThroughSendGrid(next, answered));
  }

  async function run() {
    // Yield once so `running` is set before the loop can end; it is cleared in the same tick
    // as the loop's last check, so a later send() always starts a new run.
    await Promise.resolve();
    const inflight = new Set<Promise<void>>();
    const errors: unknown[] = [];
    const track = (work: Promise<void>) => {
      const tracked: Promise<void> = work
        .catch((err) => void errors.push(err))
        .finally(() => inflight.delete(tracked));
      inflight.add(tracked);
    };
    // SendGrid takes one email a call, so nothing waits to ride along with another.
    let failingOver = false;
    try {
      while (errors.length === 0 && (queue.length > 0 || inflight.size > 0)) {
        // A partial batch waits while another call is on the wire: Resend counts calls, not
        // emails, so what arrives meanwhile should ride along. A full one goes at once.
        if (
          queue.length === 0 ||
          (!failingOver && queue.length < BATCH_LIMIT && inflight.size > 0)
        ) {
          await Promise.race([...inflight, new Promise<void>((r) => wake = r)]);
          continue;
        }
        // Never sent again by anyone: SendGrid could not tell us whether it took them.
        const unsettled = queue.filter((q) => routeOf(pendingRef(q), true) === "unsettled");
        if (unsettled.length > 0) {
          queue = queue.filter((q) => !unsettled.includes(q));
          track(settleUncalled(unsettled, UNSETTLED_AT_SENDGRID));
          continue;
        }
        failingOver = opts.failover !== undefined && !(await opts.failover.circuit.allows());
        if (failingOver) {
          await failOver(track);
          continue;
        }
        const answered = await opts.limiter.take();
        // Taken after the slot opened: whatever arrived during the wait rides along.
        queue.sort((a, b) => a.delivery.row.rank - b.delivery.row.rank);
        const { members, ref } = nextCall(queue);
        const taken = new Set(members);
        queue = queue.filter((q) => !taken.has(q));
        track(sendChunk(members, ref, answered));
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
    send(deliveries, ctx) {
      if (deliveries.length === 0) return Promise.resolve();
      queue.push(...deliveries.map((delivery) => ({ delivery, ctx })));
      wake?.();
      running ??= run();
      return running;
    },
  };
}
