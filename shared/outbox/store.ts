/**
 * The TypeScript side of the notifications_outbox state machine (the SQL side, with the
 * diagram, is supabase/migrations/*_notifications_outbox.sql). One exported function per
 * transition; every update checks the state it leaves, so a row is never moved twice.
 */
import type postgres from "postgres";

export type OutboxStatus =
  | "pending"
  | "sending"
  | "sent"
  | "retry"
  | "dead"
  | "suppressed"
  | "deferred";
export type Channel = "email" | "sms" | "webhook";

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
  status: "pending" | "suppressed";
  status_reason: string | null;
}

/** Inserts the rows whose key is new; returns only those (a repeated webhook gets none). */
export async function insertIfAbsent(
  sql: postgres.Sql | postgres.TransactionSql,
  rows: NewOutboxRow[],
) {
  if (rows.length === 0) return [];
  return await sql<OutboxRow[]>`
    insert into public.notifications_outbox ${
    sql(rows, "key", "lead_id", "channel", "template", "recipient", "status", "status_reason")
  }
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
