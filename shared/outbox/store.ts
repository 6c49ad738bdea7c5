/**
 * The TypeScript side of the notifications_outbox state machine (the SQL side, with the
 * diagram, is supabase/migrations/*_notifications_outbox.sql). One exported function per
 * transition; every update checks the state it leaves, so a row is never moved twice.
 */
import type postgres from "postgres";
import type { Outcome } from "./channel.ts";

/** `notifications_outbox.status`: the states of the machine drawn in its migration. */
export const OUTBOX_STATUSES = [
  "pending",
  "sending",
  "sent",
  "retry",
  "dead",
  "suppressed",
  "deferred",
] as const;
export type OutboxStatus = typeof OUTBOX_STATUSES[number];

/** `notifications_outbox.channel`: one sender each (shared/channels/). */
export const CHANNELS = ["email", "sms", "webhook"] as const;
export type Channel = typeof CHANNELS[number];

/** A row of public.notifications_outbox. */
export interface OutboxRow {
  id: string;
  key: string;
  lead_id: string | null;
  channel: Channel;
  template: string;
  recipient: string | null;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  status_reason: string | null;
  /** Claim order among due rows, lowest first (customers 0, staff 1). */
  rank: number;
  attempts: number;
  max_attempts: number;
  next_attempt_at: Date;
  provider_message_id: string | null;
  /** Who accepted it (resend, sendgrid, twilio…), once sent. */
  provider: string | null;
  /** The provider's last delivery report (Twilio's status callbacks, Resend's events). */
  delivery_status: string | null;
  last_error: string | null;
  /** The claim's token while sending; outcomes are applied only with it. */
  lease_token: string | null;
  /** When the current attempt was claimed. */
  claimed_at: Date | null;
  /** An attempt since then got no answer: the provider may have the message already. */
  in_doubt_since: Date | null;
  /** What the provider knows the last call by (a Resend batch's Idempotency-Key). */
  send_ref: string | null;
  /** The moment the message last put on the wire was rendered for. */
  rendered_for: Date | null;
  /** When the message was planned. */
  created_at: Date;
}

/** What a provider's delivery report reads of the message it is about (locked while applied). */
export type ReportedMessage = Pick<
  OutboxRow,
  "id" | "key" | "lead_id" | "template" | "recipient" | "delivery_status"
>;

/** A message to record: insert-if-absent on its key. */
export interface NewOutboxRow {
  key: string;
  /** Null for a message about no lead (a text from a number no lead gave). */
  lead_id: string | null;
  channel: Channel;
  template: string;
  recipient: string | null;
  /**
   * `sent` records a message that went out without the outbox: answered in the response to
   * a provider's webhook (a TwiML reply), so the outbox still lists every message.
   */
  status: "pending" | "suppressed" | "deferred" | "sent";
  status_reason: string | null;
  rank: number;
  /** When it may first be claimed (a text planned in quiet hours); null: at once. */
  next_attempt_at: Date | null;
  /** What the catalog entry renders from besides the lead (e.g. the inbound text's id). */
  payload?: Record<string, unknown>;
}

/** Inserts the rows whose key is new; returns only those (a repeated webhook gets none). */
export async function insertIfAbsent(
  sql: postgres.Sql | postgres.TransactionSql,
  rows: NewOutboxRow[],
) {
  if (rows.length === 0) return [];
  // next_attempt_at defaults to the database's now(), not the caller's clock: a function
  // clock a little ahead of the database's would hide a new row from the claim that follows.
  return await sql<OutboxRow[]>`
    insert into public.notifications_outbox
      (key, lead_id, channel, template, recipient, status, status_reason, rank, next_attempt_at,
       payload, sent_at)
    select r.key, r.lead_id, r.channel, r.template, r.recipient, r.status, r.status_reason,
           r.rank, coalesce(r.next_attempt_at, now()), coalesce(r.payload, '{}'::jsonb),
           case when r.status = 'sent' then now() end
    from jsonb_to_recordset(${sql.json(rows as unknown as postgres.JSONValue)}) as r(
      key text, lead_id uuid, channel text, template text, recipient text, status text,
      status_reason text, rank smallint, next_attempt_at timestamptz, payload jsonb)
    on conflict (key) do nothing
    returning *`;
}

/** Leases up to `limit` due rows to the holder of `token` (for update skip locked). */
export async function claim(
  sql: postgres.Sql | postgres.TransactionSql,
  opts: {
    limit: number;
    leaseSeconds: number;
    token: string;
    onlyKeys?: string[];
  },
) {
  return await sql<OutboxRow[]>`
    select * from public.claim_outbox_messages(
      ${opts.limit}, ${opts.leaseSeconds}, ${opts.token}, ${opts.onlyKeys ?? null})`;
}

/** An outcome as the settle statement reads it. */
function transition(o: Outcome) {
  const base = {
    id: o.row.id,
    token: o.row.lease_token,
    attempt: o.row.attempts,
    status: o.kind,
    provider_message_id: null as string | null,
    error: null as string | null,
    reason: null as string | null,
    next_attempt_at: null as string | null,
    retry_after_ms: null as number | null,
    gives_attempt_back: false,
    in_doubt: false,
    reconciled: false,
    segments: null as number | null,
    provider: null as string | null,
  };
  switch (o.kind) {
    case "sent":
      return {
        ...base,
        provider_message_id: o.providerMessageId,
        reconciled: o.reconciled === true,
        segments: o.segments ?? null,
        provider: o.provider,
      };
    case "retry":
      return {
        ...base,
        error: o.error,
        retry_after_ms: o.delayMs,
        gives_attempt_back: !o.countsAsAttempt,
        in_doubt: o.inDoubt === true,
        provider: o.provider ?? null,
      };
    case "dead":
      return { ...base, error: o.reason, provider: o.provider ?? null };
    case "suppressed":
      return { ...base, reason: o.reason };
    case "deferred":
      return {
        ...base,
        reason: o.reason,
        next_attempt_at: o.until.toISOString(),
        gives_attempt_back: true,
      };
  }
}

/**
 * Applies outcomes in one statement, each only where the row is still leased to the token it
 * was claimed with, and records every attempt (applied or not) in notification_attempts.
 * Returns the ids whose outcome was applied; the others had lost their lease.
 */
export async function settleOutcomes(
  sql: postgres.TransactionSql,
  outcomes: Outcome[],
): Promise<Set<string>> {
  if (outcomes.length === 0) return new Set();
  const rows = outcomes.map(transition);
  // One statement: the transitions and the history rows of every attempt, applied or not.
  const settled = await sql<{ outbox_id: string; lease_lost: boolean }[]>`
    with s as (
      select * from jsonb_to_recordset(${sql.json(rows as unknown as postgres.JSONValue)}) as s(
        id bigint, token uuid, attempt integer, status text, provider_message_id text,
        error text, reason text, next_attempt_at timestamptz, retry_after_ms numeric,
        gives_attempt_back boolean, in_doubt boolean, reconciled boolean, segments integer,
        provider text)
    ), applied as (
      update public.notifications_outbox o
      set status = s.status,
          lease_until = null,
          lease_token = null,
          provider_message_id = case when s.status = 'sent' then s.provider_message_id
                                     else o.provider_message_id end,
          provider = case when s.status = 'sent' then lower(s.provider) else o.provider end,
          sent_at = case when s.status = 'sent' then now() else o.sent_at end,
          segments = case when s.status = 'sent' then s.segments else o.segments end,
          last_error = case s.status when 'sent' then null
                                     when 'retry' then s.error
                                     when 'dead' then s.error
                                     else o.last_error end,
          status_reason = case when s.status in ('suppressed', 'deferred') then s.reason
                               else o.status_reason end,
          -- A retry's delay counts from the database's clock, as claims do.
          next_attempt_at = case s.status
            when 'retry' then now() + make_interval(secs => s.retry_after_ms / 1000.0)
            when 'deferred' then s.next_attempt_at
            else o.next_attempt_at end,
          attempts = case when s.gives_attempt_back then greatest(o.attempts - 1, 0)
                          else o.attempts end,
          -- No answer: the provider may have the message; it is looked up before it goes again.
          in_doubt_since = case when s.in_doubt
                                then coalesce(o.in_doubt_since, o.claimed_at, now())
                                else o.in_doubt_since end
      from s
      where o.id = s.id and o.status = 'sending' and o.lease_token = s.token
      returning o.id
    )
    insert into public.notification_attempts
      (outbox_id, attempt, lease_token, outcome, lease_lost, provider_message_id, error,
       reconciled, provider)
    select s.id, s.attempt, s.token, s.status, applied.id is null, s.provider_message_id,
           coalesce(s.error, s.reason), s.reconciled, lower(s.provider)
    from s left join applied on applied.id = s.id
    returning outbox_id::text, lease_lost`;
  const owned = new Set(
    settled.filter((r) => !r.lease_lost).map((r) => r.outbox_id),
  );
  return owned;
}

/** A row about to go on the wire, and what the provider will know that call by. */
export interface WireMark {
  row: OutboxRow;
  ref: string;
}

/**
 * Records each mark's `ref` as its row's `send_ref` and the moment its message was rendered
 * for, on the rows still leased to their claim's token, in one statement; returns the ids of
 * those rows. The others lost their lease.
 */
export async function markOnTheWire(
  sql: postgres.Sql,
  marks: WireMark[],
): Promise<Set<string>> {
  if (marks.length === 0) return new Set();
  const held = await sql<{ id: string }[]>`
    update public.notifications_outbox o
    set send_ref = r.ref, rendered_for = r.rendered_for
    from jsonb_to_recordset(${
    sql.json(marks.map((m) => ({
      id: m.row.id,
      token: m.row.lease_token,
      ref: m.ref,
      rendered_for: m.row.rendered_for,
    })) as unknown as postgres.JSONValue)
  }) as r(id bigint, token uuid, ref text, rendered_for timestamptz)
    where o.id = r.id and o.status = 'sending' and o.lease_token = r.token
    returning o.id::text`;
  return new Set(held.map((h) => h.id));
}

/** The heartbeat: renews the leases the given claims still hold; returns how many. */
export async function renewLeases(
  sql: postgres.Sql,
  tokens: string[],
  leaseSeconds: number,
): Promise<number> {
  if (tokens.length === 0) return 0;
  const [row] = await sql<{ renewed: number }[]>`
    select public.renew_outbox_leases(${tokens}::uuid[], ${leaseSeconds}) as renewed`;
  return row.renewed;
}

/** Rows whose sender died on their last attempt → dead. */
export async function deadLetterExpired(sql: postgres.Sql) {
  return await sql<OutboxRow[]>`select * from public.dead_letter_expired()`;
}

/**
 * When the next waiting row falls due, or the next lease of a dead sender runs out, if either
 * happens within `withinMs`.
 */
export async function nextDueWithin(
  sql: postgres.Sql,
  withinMs: number,
): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`
    select min(case when status = 'sending' then lease_until else next_attempt_at end) as at
    from public.notifications_outbox
    where ((status in ('pending', 'retry', 'deferred')
            and next_attempt_at <= now() + make_interval(secs => ${withinMs / 1000}))
        or (status = 'sending' and attempts < max_attempts
            and lease_until <= now() + make_interval(secs => ${withinMs / 1000})))`;
  return row?.at ?? null;
}

/**
 * Hands back rows this sender claimed (under one of `tokens`) and never put on the wire, at
 * once rather than when their lease ends. Returns the ids released.
 */
export async function releaseClaims(
  sql: postgres.Sql,
  ids: string[],
  tokens: string[],
): Promise<string[]> {
  if (ids.length === 0 || tokens.length === 0) return [];
  const rows = await sql<{ id: string }[]>`
    select id::text from public.release_outbox_claims(${ids}::bigint[], ${tokens}::uuid[]) as id`;
  return rows.map((r) => r.id);
}
