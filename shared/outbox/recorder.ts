/**
 * Records a drain's outcomes: each batch in one transaction with its activities (so the
 * timeline is complete whenever the outbox says sent), applied only where the drain still
 * holds the lease, and counted. Answers that arrive while one transaction runs share the
 * next, so a burst of answers costs a few transactions, not one each.
 */
import type { DrainDeps, DrainStats } from "./drain.ts";
import type { Outcome } from "./channel.ts";
import { settleOutcomes } from "./store.ts";
import { createBatcher } from "../platform/batcher.ts";
import { isConnectionError } from "../platform/db_retry.ts";
import { maskPII } from "../platform/mask.ts";

const SETTLE_BATCH = 500;

const STAT_OF: Record<Outcome["kind"], Exclude<keyof DrainStats, "leaseLost">> = {
  sent: "sent",
  retry: "retried",
  dead: "dead",
  suppressed: "suppressed",
  deferred: "deferred",
};

/**
 * The drain's `record`: resolves once the outcomes are committed. `resilient` runs a
 * transaction again while the database is away: an answer we hold must not be lost to a blip,
 * or its message would be sent again when its lease ends. (Should a commit succeed unseen, the
 * retry applies nothing, and its attempts are marked lease_lost.)
 */
export function createRecorder(
  deps: Pick<DrainDeps, "sql" | "journal">,
  stats: DrainStats,
  resilient: <T>(work: () => Promise<T>) => Promise<T>,
): (outcomes: Outcome[]) => Promise<void> {
  const settle = createBatcher(async (batch: Outcome[]) => {
    let journalFailure: unknown;
    const commit = (withJournal: boolean) =>
      deps.sql.begin(async (tx) => {
        const owned = await settleOutcomes(tx, batch);
        if (withJournal) {
          await deps.journal(tx, batch.filter((o) => owned.has(String(o.row.id))))
            .catch((err) => {
              journalFailure = err;
              throw err;
            });
        }
        return owned;
      }) as Promise<Set<string>>;
    const owned = await resilient(async () => {
      journalFailure = undefined;
      try {
        return await commit(true);
      } catch (err) {
        if (err !== journalFailure || isConnectionError(err)) throw err;
        // A broken activity log must not stop messages: the outcomes commit without it.
        console.error(maskPII(`outbox: activities not written: ${(err as Error).message}`));
        return await commit(false);
      }
    });
    return new Map(batch.map((o) => [o, owned.has(String(o.row.id))]));
  }, { max: SETTLE_BATCH });

  return async (outcomes) => {
    const applied = await Promise.all(outcomes.map(settle));
    outcomes.forEach((o, i) => {
      if (applied[i]) stats[STAT_OF[o.kind]]++;
    });
    const lost = applied.filter((a) => !a).length;
    stats.leaseLost += lost;
    if (lost > 0) {
      // Another sender took these rows over when their lease ran out: the history keeps them.
      console.warn(
        `outbox: ${lost} outcome(s) not applied: their lease had passed to another sender`,
      );
    }
  };
}
