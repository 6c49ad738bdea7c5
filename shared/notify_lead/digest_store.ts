/**
 * What both digests (the on-call page digest, paging_store.ts; the staff alert digest,
 * staff_digest_store.ts) read and write inside a planning transaction that holds the
 * recipient's lock: what was planned to them lately, the digest still waiting for them, and
 * the messages that join it.
 */
import type postgres from "postgres";

type Tx = postgres.TransactionSql;

/**
 * How many messages of `templates` went or will go to `recipient` within `minutes` of `now`,
 * and the earliest. created_at is the database's clock, `now` the planner's: bounded on both
 * sides, so a planner judging another moment (a test's 2020) does not count today's messages.
 */
export async function plannedWithin(
  tx: Tx,
  recipient: string,
  templates: readonly string[],
  now: Date,
  minutes: number,
): Promise<{ count: number; earliest: Date | null }> {
  const [row] = await tx<{ count: number; earliest: Date | null }[]>`
    select count(*)::int as count, min(created_at) as earliest
    from public.notifications_outbox
    where recipient = ${recipient} and template = any (${tx.array([...templates])})
      and status <> 'suppressed'
      and created_at > ${now}::timestamptz - make_interval(mins => ${minutes})
      and created_at <= ${now}::timestamptz + make_interval(mins => ${minutes})`;
  return row;
}

/**
 * The digest of `template` waiting for `recipient`, not tried yet, locked so a drain cannot
 * claim it while messages join it; null when there is none (one a drain holds already is
 * skipped: what would have joined it starts a new digest).
 */
export async function lockWaitingDigest(
  tx: Tx,
  recipient: string,
  template: string,
): Promise<{ key: string } | null> {
  const [digest] = await tx<{ key: string }[]>`
    select key from public.notifications_outbox
    where recipient = ${recipient} and template = ${template}
      and status in ('pending', 'deferred') and attempts = 0
    order by id desc limit 1
    for update skip locked`;
  return digest ?? null;
}

/** Adds `entries` to the list `field` of the waiting digest `key`'s payload. */
export async function joinDigest(
  tx: Tx,
  key: string,
  field: string,
  entries: readonly unknown[],
): Promise<void> {
  await tx`
    update public.notifications_outbox
    set payload = jsonb_set(payload, array[${field}::text],
          coalesce(payload -> ${field}, '[]'::jsonb) || ${
    tx.json(entries as unknown as postgres.JSONValue)
  }::jsonb),
        updated_at = now()
    where key = ${key}`;
}
