/**
 * The contract between the outbox engine and what it is handed: a preparer that turns
 * claimed rows into channel payloads (the message catalog's side), channel senders that put
 * payloads on the wire (one per channel), and a journal that records outcomes where admins
 * read them. The engine itself knows no message kind, template, provider or SMS rule.
 */
import type postgres from "postgres";
import type { Channel, OutboxRow } from "./store.ts";

/**
 * A failed send, classified by the channel that made it: only the channel knows its
 * provider's error codes. The engine decides when (or whether) to try again from
 * `transient`, `throttled` and `retryAfterSeconds` alone.
 */
export interface SendFailure {
  /** HTTP status, when the provider answered. */
  status?: number;
  /** Provider error code (Twilio's number, Resend's `name`). */
  code?: string | number;
  message: string;
  /** No answer at all: connection refused or dropped, timeout. */
  network?: boolean;
  /** Trying again later may work (5xx, 429, timeout); false: this message will never go. */
  transient: boolean;
  /** The provider said "too many requests": the message did not fail, we were early. */
  throttled: boolean;
  /** Seconds from a Retry-After header, when given. */
  retryAfterSeconds?: number;
  /**
   * The provider refused the recipient itself (an address it will never take): the message is
   * suppressed with this reason, the customer's problem and not an outage (no dead letter).
   */
  recipientRefused?: string;
  /** Who was called, when the sender has more than one provider (else the sender's own). */
  provider?: string;
}

/** A provider's answer to one message. */
export type SendResult =
  /**
   * reconciled: nothing was sent; the provider showed that an earlier attempt had gone.
   * segments: the parts the provider bills the message as, when it said (Twilio's num_segments).
   * provider: who accepted it, when the sender has more than one (else the sender's own).
   */
  | {
    ok: true;
    providerMessageId: string | null;
    reconciled?: boolean;
    segments?: number;
    provider?: string;
  }
  | { ok: false; failure: SendFailure };

/** One claimed row with the payload its catalog entry rendered for it. */
export interface Delivery<P = unknown> {
  row: OutboxRow;
  payload: P;
}

/** The deliveries in the order they should go out: lowest row rank first, stable. */
export function byRank<P>(deliveries: readonly Delivery<P>[]): Delivery<P>[] {
  return [...deliveries].sort((a, b) => a.row.rank - b.row.rank);
}

/** A delivery with its answer. */
export interface Answer {
  row: OutboxRow;
  result: SendResult;
}

/** Called with answers as they arrive; resolves once they are recorded. */
export type Settle = (answers: Answer[]) => Promise<void>;

/**
 * Records, before a call goes out, what the provider will know it by (a batch's
 * Idempotency-Key), so a call whose answer is lost can be repeated under the same name.
 * Resolves with the rows still leased to this sender: only those may go.
 */
export type OnTheWire = (rows: OutboxRow[], ref: string) => Promise<OutboxRow[]>;

/**
 * The answer for a row whose lease passed to another sender before its call went out (its
 * heartbeats were lost while it waited): not sent; the outcome statement refuses it anyway.
 */
export const LEASE_LOST: SendFailure = {
  message: "lease passed to another sender before the call",
  transient: true,
  throttled: false,
};

/** What the drain hands a sender with each set of deliveries. */
export interface SendContext {
  settle: Settle;
  onTheWire: OnTheWire;
}

/**
 * Puts one channel's messages on the wire. Each sender owns its batching, its provider's
 * rate limit and the classification of its provider's errors.
 */
export interface ChannelSender<P = unknown> {
  readonly channel: Channel;
  /** Who accepts the messages, for the activity log ("Resend", "Twilio"…). */
  readonly provider: string;
  /**
   * Sends the deliveries, settling each as its answer arrives; resolves when all are settled.
   * A delivery whose row is `in_doubt_since` may already have been accepted by the provider
   * (its last attempt got no answer): the sender must find out before sending it again.
   */
  send(deliveries: Delivery<P>[], ctx: SendContext): Promise<void>;
}

/** What to do with one claimed row, decided before any provider is called. */
export type Preparation =
  | { row: OutboxRow; action: "send"; payload: unknown }
  | { row: OutboxRow; action: "suppress"; reason: string }
  | { row: OutboxRow; action: "defer"; reason: string; until: Date }
  /** Can never be sent (its lead is gone, it has no recipient). */
  | { row: OutboxRow; action: "dead"; reason: string }
  /** Could not be prepared now (a render or signing error): retried like a transient failure. */
  | { row: OutboxRow; action: "fail"; failure: SendFailure };

/** Turns claimed rows into preparations, in the same order. */
export type Prepare = (rows: OutboxRow[], now: Date) => Promise<Preparation[]>;

/** Where a claimed row ended up after a drain step. */
export type Outcome =
  | {
    row: OutboxRow;
    kind: "sent";
    provider: string;
    providerMessageId: string | null;
    /** Found at the provider: an earlier attempt whose answer was lost had been accepted. */
    reconciled?: boolean;
    /** The parts the provider bills it as, when it said (what the day's SMS spend counts). */
    segments?: number;
  }
  /**
   * countsAsAttempt false: we were only throttled, so the attempt is given back. inDoubt: no
   * answer came (timeout, dropped connection), so the provider may have accepted the message.
   */
  | {
    row: OutboxRow;
    kind: "retry";
    error: string;
    delayMs: number;
    countsAsAttempt: boolean;
    inDoubt?: boolean;
    /** Who was called; absent when no provider was (a failed render, a held message). */
    provider?: string;
  }
  /** `failure` is absent when the row could not even be tried. */
  | { row: OutboxRow; kind: "dead"; reason: string; failure?: SendFailure; provider?: string }
  | { row: OutboxRow; kind: "suppressed"; reason: string }
  | { row: OutboxRow; kind: "deferred"; reason: string; until: Date };

/**
 * Records applied outcomes where admins read them (the lead's activity log), inside the
 * transaction that applies them, so the timeline is complete whenever the outbox says sent.
 */
export type Journal = (tx: postgres.TransactionSql, outcomes: Outcome[]) => Promise<void>;
