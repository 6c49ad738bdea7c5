/**
 * Drains the outbox: claims due rows, has them prepared (rendered, or held back by a rule),
 * hands each to its channel's sender and records every outcome. It knows no message kind,
 * template, provider or SMS rule: those are handed to it (see ./channel.ts). Any number of
 * drains may run at once: claims skip rows another drain holds.
 */
import type postgres from "postgres";
import type { ChannelSender, Journal, Prepare } from "./channel.ts";
import { outcomeOf, sortPreparations } from "./outcomes.ts";
import { createRecorder } from "./recorder.ts";
import { whileDatabaseAway } from "../platform/db_retry.ts";
import {
  type Channel,
  claim,
  markOnTheWire,
  nextDueWithin,
  type OutboxRow,
  releaseClaims,
  renewLeases,
  type WireMark,
} from "./store.ts";
import { createBatcher } from "../platform/batcher.ts";
import type { RetryPolicy } from "./retry_policy.ts";

export interface DrainDeps {
  sql: postgres.Sql;
  /** Turns claimed rows into payloads or decisions not to send (the message catalog's side). */
  prepare: Prepare;
  /** One sender per channel. */
  senders: Partial<Record<Channel, ChannelSender>>;
  /** Records outcomes where admins read them. */
  journal: Journal;
  /** The time every decision is made at. Default: the system clock. */
  clock?: () => Date;
  retryPolicy?: RetryPolicy;
}

export interface DrainOptions {
  /** Only these message keys (an admin draining chosen rows; tests isolating theirs). */
  onlyKeys?: string[];
  /** Keep draining while a retry falls due within this long (ms). Default 0: stop when nothing is due. */
  lingerMs?: number;
  /** Stop claiming after this moment (ms since epoch). Default: two minutes from now. */
  deadline?: number;
  /** Most rows one claim takes. Default 200. */
  claimLimit?: number;
  /** How a lingering drain waits for the next due row. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Most rows this drain claims in all. An edge worker's CPU is bounded and unseen, so one
   * drain takes on no more than it can finish; the rest is handed on (`DrainStats.more`).
   * Default: no bound.
   */
  maxRows?: number;
  /**
   * Once aborted (the worker is about to end), the drain claims nothing more and at once hands
   * back the rows it claimed but has not put on the wire.
   */
  signal?: AbortSignal;
}

export interface DrainStats {
  sent: number;
  retried: number;
  dead: number;
  suppressed: number;
  deferred: number;
  /** Outcomes refused because another sender had taken the row over (its lease had run out). */
  leaseLost: number;
  /** It stopped at `maxRows`, at its deadline or at its worker's end: the rest is another drain's. */
  more: boolean;
  /** Rows handed back unsent because the drain was aborted. */
  released: number;
}

const CLAIM_LIMIT = 200;
/**
 * Most rows one drain in an edge worker takes on (`DrainOptions.maxRows`). A worker is retired
 * at 1 s of CPU and killed at 2 s, boot and lazily loaded senders included, and cannot see its
 * CPU time; a drain may start just before retirement with one more queued behind it, so each
 * must fit in well under half of the last second. Sized from measured costs (README, "Inside
 * the edge runtime's budget").
 */
export const WORKER_DRAIN_ROWS = 100;
/**
 * A lease outlasts the slowest provider call (10 s timeouts) with margin, so a row is never
 * taken over while its call may still be on the wire, even when heartbeats cannot reach the
 * database. A live drain renews its leases every few seconds (rows may wait longer than that
 * for a rate-limit slot); a dead one's rows come back 20 s after its last heartbeat.
 */
export const LEASE_SECONDS = 20;
const HEARTBEAT_MS = 5_000;
/** Claims being sent at once (each up to CLAIM_LIMIT rows, sent at the channel's pace). */
const SENDS_IN_FLIGHT = 2;
/** Most rows one statement marks as going on the wire. */
const WIRE_MARK_BATCH = 500;
/** A drain step (claim, prepare, outcome transaction) unanswered this long is tried again. */
const STALLED_QUERY_MS = 15_000;

/**
 * Groups rows by rank, lowest first. Rows in doubt that share a provider call (`send_ref`) stay
 * in one group, at their lowest rank: that call must be repeated whole, under its own key.
 */
export function byRankGroups(rows: OutboxRow[]): OutboxRow[][] {
  const callRank = new Map<string, number>();
  for (const row of rows) {
    if (row.in_doubt_since === null || row.send_ref === null) continue;
    callRank.set(
      row.send_ref,
      Math.min(callRank.get(row.send_ref) ?? row.rank, row.rank),
    );
  }
  const rankOf = (row: OutboxRow) =>
    row.in_doubt_since !== null && row.send_ref !== null ? callRank.get(row.send_ref)! : row.rank;
  const groups = Map.groupBy(rows, rankOf);
  return [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k)!);
}

/**
 * Claims and sends until nothing is due (or lingers for retries falling due soon). The next
 * claim does not wait for the previous sends to be answered: a burst that arrives while one
 * batch is on the wire is claimed and prepared meanwhile.
 */
export async function drainOutbox(
  deps: DrainDeps,
  opts: DrainOptions = {},
): Promise<DrainStats> {
  const stats: DrainStats = {
    sent: 0,
    retried: 0,
    dead: 0,
    suppressed: 0,
    deferred: 0,
    leaseLost: 0,
    more: false,
    released: 0,
  };
  const clock = deps.clock ?? (() => new Date());
  const deadline = opts.deadline ?? Date.now() + 120_000;
  const inflight = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const track = (work: Promise<void>) => {
    const tracked: Promise<void> = work.catch((err) => void failures.push(err))
      .finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };
  let outages = 0;
  const resilient = <T>(work: () => Promise<T>, until = deadline) =>
    whileDatabaseAway(work, {
      deadline: until,
      attemptTimeoutMs: STALLED_QUERY_MS,
      onOutage: (err) => {
        // Logged once per drain, however many of its steps wait for the database.
        if (outages++ === 0) {
          console.warn(
            `outbox: database unavailable (${(err as Error).message}); retrying`,
          );
        }
      },
    });
  const record = createRecorder(deps, stats, (work) =>
    // Worth retrying for as long as the lease it settles can still be ours.
    resilient(work, Date.now() + LEASE_SECONDS * 1000));
  const tokens = new Set<string>();
  const heartbeat = setInterval(() => {
    // Best effort: a missed beat is covered by the lease's margin.
    renewLeases(deps.sql, [...tokens], LEASE_SECONDS).catch(() => {});
  }, HEARTBEAT_MS);
  // Texts go one provider call each, dozens at once: their marks share a statement.
  const mark = createBatcher(async (marks: WireMark[]) => {
    const held = await resilient(
      () => markOnTheWire(deps.sql, marks),
      Date.now() + LEASE_SECONDS * 1000,
    );
    return new Map(marks.map((m) => [m, held.has(String(m.row.id))]));
  }, { max: WIRE_MARK_BATCH });
  // What this drain claimed and what of it went (or is going) on the wire: on abort, the rest
  // is handed back.
  const claimed = new Set<string>();
  const wired = new Set<string>();
  const onTheWire = async (rows: OutboxRow[], ref: string) => {
    if (opts.signal?.aborted) return [];
    for (const row of rows) wired.add(String(row.id));
    const held = await Promise.all(rows.map((row) => mark({ row, ref })));
    return rows.filter((_, i) => held[i]).map((row) => ({
      ...row,
      send_ref: ref,
    }));
  };
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      const unsent = [...claimed].filter((id) => !wired.has(id));
      const back = await releaseClaims(deps.sql, unsent, [...tokens]).catch(
        (err) => {
          console.warn(
            `outbox: could not hand back claimed rows (${(err as Error).message})`,
          );
          return [];
        },
      );
      stats.released += back.length;
    })();
  };
  opts.signal?.addEventListener("abort", release, { once: true });

  try {
    while (Date.now() < deadline && failures.length === 0) {
      // Claim no more than the senders can put on the wire: claimed rows waiting behind them
      // would only hold leases (and, in a flood, overload the provider into timeouts).
      while (inflight.size >= SENDS_IN_FLIGHT) await Promise.race(inflight);
      if (opts.signal?.aborted) break;
      const limit = Math.min(
        opts.claimLimit ?? CLAIM_LIMIT,
        (opts.maxRows ?? Infinity) - claimed.size,
      );
      if (limit <= 0) {
        stats.more = true;
        break;
      }
      // A claim lost with its connection leaves its rows leased to nobody: they come back when
      // the lease ends, never sent twice.
      const token = crypto.randomUUID();
      const rows = await resilient(() =>
        claim(deps.sql, {
          limit,
          leaseSeconds: LEASE_SECONDS,
          token,
          onlyKeys: opts.onlyKeys,
        })
      );
      if (rows.length > 0) tokens.add(token);
      for (const row of rows) claimed.add(String(row.id));
      // Aborted while claiming: these go straight back.
      if (opts.signal?.aborted) {
        release();
        break;
      }
      if (rows.length === 0) {
        // Sends still on the wire may turn into retries that fall due soon: let them land first.
        if (inflight.size > 0) {
          await Promise.race(inflight);
          continue;
        }
        const lingerMs = Math.min(opts.lingerMs ?? 0, deadline - Date.now());
        if (lingerMs <= 0) break;
        const due = await resilient(() => nextDueWithin(deps.sql, lingerMs));
        if (!due) break;
        const waitMs = Math.max(20, due.getTime() - Date.now());
        await (opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(
          waitMs,
        );
        continue;
      }
      // Rank by rank: the first group's messages are on the wire before the next is prepared.
      for (const group of byRankGroups(rows)) {
        const { held, toSend } = sortPreparations(
          // Claimed rows are ours for their lease: worth waiting that long for the database,
          // even when the drain's own deadline is nearer (a drain kept long by new requests).
          await resilient(() => deps.prepare(group, clock()), Date.now() + LEASE_SECONDS * 1000),
          (channel) => channel in deps.senders,
          deps.retryPolicy,
        );
        await record(held);
        for (const [channel, deliveries] of toSend) {
          const sender = deps.senders[channel]!;
          track(
            sender.send(deliveries, {
              settle: (answers) =>
                record(
                  answers.map((a) => outcomeOf(a, sender.provider, deps.retryPolicy)),
                ),
              onTheWire,
            }),
          );
        }
      }
    }
    // Stopped by its deadline, or cut short by its worker's end, mid-work: what is left (a
    // retry due in seconds, say) is another drain's, not the next minute's sweep.
    if (Date.now() >= deadline || opts.signal?.aborted) stats.more = true;
    await Promise.all(inflight);
    await released;
  } finally {
    clearInterval(heartbeat);
    opts.signal?.removeEventListener("abort", release);
  }
  if (failures.length > 0) throw failures[0];
  return stats;
}
