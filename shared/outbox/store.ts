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
  last_error: string | null;
}

/** A message to record: insert-if-absent on its key. */
export interface NewOutboxRow {
  key: string;
  lead_id: string;
  channel: Channel;
  template: string;
  recipient: string | null;
  status: "pending" | "suppressed" | "deferred";
  status_reason: string | null;
  rank: number;
  /** When it may first be claimed (a text planned in quiet hours); null: at once. */
  next_attempt_at: Date | null;
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
      (key, lead_id, channel, template, recipient, status, status_reason, rank, next_attempt_at)
    select r.key, r.lead_id, r.channel, r.template, r.recipient, r.status, r.status_reason,
           r.rank, coalesce(r.next_attempt_at, now())
    from jsonb_to_recordset(${sql.json(rows as unknown as postgres.JSONValue)}) as r(
      key text, lead_id uuid, channel text, template text, recipient text, status text,
      status_reason text, rank smallint, next_attempt_at timestamptz)
    on conflict (key) do nothing
    returning *`;
}

/** Leases up to `limit` due rows to this sender (for update skip locked). */
export async function claim(
  sql: postgres.Sql,
  opts: { limit: number; leaseSeconds: number; onlyKeys?: string[] },
) {
  return await sql<OutboxRow[]>`
    select * from public.claim_outbox_messages(${opts.limit}, ${opts.leaseSeconds}, ${
    opts.onlyKeys ?? null
  })`;
}

/** sending → sent, recording the provider's id in the same statement. */
export async function markSent(
  sql: postgres.Sql,
  sent: Array<{ id: string; providerMessageId: string | null }>,
) {
  if (sent.length === 0) return;
  await sql`
    update public.notifications_outbox o
    set status = 'sent', provider_message_id = s.provider_message_id, sent_at = now(),
        lease_until = null, last_error = null
    from (select unnest(${sql.array(sent.map((s) => s.id))}::bigint[]) as id,
                 unnest(${
    sql.array(sent.map((s) => s.providerMessageId ?? ""))
  }::text[]) as provider_message_id) s
    where o.id = s.id and o.status = 'sending'`;
}

/** sending → retry at a later time; a throttled try gives its attempt back. */
export async function markRetry(
  sql: postgres.Sql,
  id: string,
  error: string,
  delayMs: number,
  countsAsAttempt = true,
) {
  await sql`
    update public.notifications_outbox
    set status = 'retry', last_error = ${error}, lease_until = null,
        next_attempt_at = now() + make_interval(secs => ${delayMs / 1000}),
        attempts = case when ${countsAsAttempt} then attempts else greatest(attempts - 1, 0) end
    where id = ${id} and status = 'sending'`;
}

/** sending → dead: permanent error or out of attempts. An admin can replay it. */
export async function markDead(sql: postgres.Sql, id: string, error: string) {
  await sql`
    update public.notifications_outbox
    set status = 'dead', last_error = ${error}, lease_until = null
    where id = ${id} and status = 'sending'`;
}

/** sending → suppressed: not allowed to send (consent withdrawn, daily cap…). */
export async function markSuppressed(sql: postgres.Sql, id: string, reason: string) {
  await sql`
    update public.notifications_outbox
    set status = 'suppressed', status_reason = ${reason}, lease_until = null
    where id = ${id} and status = 'sending'`;
}

/** sending → deferred until the recipient's next allowed hour; the attempt is given back. */
export async function markDeferred(sql: postgres.Sql, id: string, reason: string, until: Date) {
  await sql`
    update public.notifications_outbox
    set status = 'deferred', status_reason = ${reason}, lease_until = null,
        next_attempt_at = ${until}, attempts = greatest(attempts - 1, 0)
    where id = ${id} and status = 'sending'`;
}

/** Applies each outcome's transition: the one way a drain moves the rows it holds. */
export async function recordOutcomes(sql: postgres.Sql, outcomes: Outcome[]) {
  const sent = outcomes.flatMap((o) =>
    o.kind === "sent" ? [{ id: o.row.id, providerMessageId: o.providerMessageId }] : []
  );
  await markSent(sql, sent);
  for (const o of outcomes) {
    if (o.kind === "retry") await markRetry(sql, o.row.id, o.error, o.delayMs, o.countsAsAttempt);
    else if (o.kind === "dead") await markDead(sql, o.row.id, o.reason);
    else if (o.kind === "suppressed") await markSuppressed(sql, o.row.id, o.reason);
    else if (o.kind === "deferred") await markDeferred(sql, o.row.id, o.reason, o.until);
  }
}

/** Rows whose sender died on their last attempt → dead. */
export async function deadLetterExpired(sql: postgres.Sql) {
  return await sql<OutboxRow[]>`select * from public.dead_letter_expired()`;
}

/** When the next waiting row falls due, if any does within `withinMs`. */
export async function nextDueWithin(sql: postgres.Sql, withinMs: number): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`
    select min(next_attempt_at) as at from public.notifications_outbox
    where status in ('pending', 'retry', 'deferred')
      and next_attempt_at <= now() + make_interval(secs => ${withinMs / 1000})`;
  return row?.at ?? null;
}
