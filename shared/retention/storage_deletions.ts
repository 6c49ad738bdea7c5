/**
 * Deletes the Storage objects the retention purge queued (public.storage_deletions) through
 * the Storage API: the database may not delete storage.objects rows itself (the files would
 * stay behind). notify-lead's sweep calls this every minute; a bounded batch each time.
 *
 * A claim pushes the rows' next_attempt_at a lease ahead, so two sweeps never take the same
 * row and a sweep that dies mid-way leaves its rows to the next one. Deleting twice is
 * harmless: Storage answers an object already gone with an empty list, not an error.
 */
import type postgres from "postgres";

/** What this needs of supabase-js's storage client (`createStorageClient`). */
export interface StorageRemover {
  from(bucket: string): {
    remove(paths: string[]): Promise<{ error: { message: string } | null }>;
  };
}

/** How many objects one sweep deletes at most. */
export const STORAGE_DELETIONS_PER_SWEEP = 100;

/** How long a claim holds its rows before another sweep may take them. */
const CLAIM_LEASE_SECONDS = 120;

/**
 * How long to wait after the `attempts`-th failed try: a minute, doubling, at most a day.
 * `storageDeletionBackoffMs(1) === 60_000`.
 */
export function storageDeletionBackoffMs(attempts: number): number {
  const day = 24 * 60 * 60_000;
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), day);
}

interface ClaimedDeletion {
  id: string;
  bucket: string;
  object_path: string;
  attempts: number;
}

/** What one drain did: objects Storage confirmed gone, and objects left for a later try. */
export interface StorageDeletionStats {
  deleted: number;
  failed: number;
}

/** Deletes a batch of due queued objects, one Storage call per bucket. */
export async function drainStorageDeletions(
  sql: postgres.Sql,
  storage: StorageRemover,
  opts: { limit?: number } = {},
): Promise<StorageDeletionStats> {
  const claimed = await sql<ClaimedDeletion[]>`
    update public.storage_deletions d
    set attempts = d.attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${CLAIM_LEASE_SECONDS})
    where d.id in (
      select id from public.storage_deletions
      where next_attempt_at <= now()
      order by next_attempt_at, id
      limit ${opts.limit ?? STORAGE_DELETIONS_PER_SWEEP}
      for update skip locked)
    returning d.id, d.bucket, d.object_path, d.attempts`;
  const byBucket = Map.groupBy(claimed, (row) => row.bucket);
  const stats: StorageDeletionStats = { deleted: 0, failed: 0 };
  for (const [bucket, rows] of byBucket) {
    const ids = rows.map((r) => r.id);
    const error = await storage.from(bucket).remove(rows.map((r) => r.object_path)).then(
      (answer) => answer.error?.message ?? null,
      (err) => (err as Error).message,
    );
    if (error === null) {
      await sql`delete from public.storage_deletions where id = any (${ids}::bigint[])`;
      stats.deleted += rows.length;
      continue;
    }
    for (const row of rows) {
      await sql`
        update public.storage_deletions
        set last_error = ${error},
            next_attempt_at = now() + make_interval(secs => ${
        storageDeletionBackoffMs(row.attempts) / 1000
      })
        where id = ${row.id}`;
    }
    stats.failed += rows.length;
  }
  return stats;
}
