/**
 * Riding out a database that is briefly away (a restart, a failover, a dropped connection):
 * the work is tried again with backoff until the database answers, instead of failing the
 * drain and leaving its messages to the next cron tick. Errors that are not about the
 * connection are thrown at once.
 */

// postgres.js's own codes for a connection that is gone or never came, and the network's.
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  // Ours: a query that never settled (see attemptTimeoutMs).
  "QUERY_STALLED",
]);

/**
 * True for a lost or refused connection: SQLSTATE class 08 (connection exception), 57P01–57P03
 * (the server is shutting down, crashed or starting), or a socket error.
 */
export function isConnectionError(err: unknown): boolean {
  const code = String((err as { code?: unknown })?.code ?? "");
  return CONNECTION_CODES.has(code) || code.startsWith("08") ||
    ["57P01", "57P02", "57P03"].includes(code);
}

const connectionErrorListeners = new Set<(err: unknown) => void>();

/** Calls `listener` with each connection error a retry rides out (db.ts renews its pools on them). */
export function onConnectionError(listener: (err: unknown) => void): void {
  connectionErrorListeners.add(listener);
}

/** Options for {@linkcode whileDatabaseAway}. */
export interface DatabaseRetryOptions {
  /** Give up (rethrow) after this moment, ms since epoch. */
  deadline: number;
  /** First wait; doubled each time up to `maxDelayMs`. Default 100 ms. */
  baseDelayMs?: number;
  /** Default 2 s. */
  maxDelayMs?: number;
  /** Told once per outage, when the first retry is scheduled. */
  onOutage?: (err: unknown) => void;
  /**
   * An attempt still unsettled after this long is given up and tried again: postgres.js can
   * drop a query's write on a connection the server just closed, and that query then never
   * settles (porsager/postgres#1209). Default: no limit.
   */
  attemptTimeoutMs?: number;
}

/** `work()`, or a QUERY_STALLED error once `ms` have passed without an answer. */
function withinTime<T>(work: () => Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          Object.assign(new Error(`no answer from the database in ${ms} ms`), {
            code: "QUERY_STALLED",
          }),
        ),
      ms,
    );
  });
  return Promise.race([work(), stalled]).finally(() => clearTimeout(timer));
}

/** Runs `work`, trying again with backoff while the database connection is what fails. */
export async function whileDatabaseAway<T>(
  work: () => Promise<T>,
  opts: DatabaseRetryOptions,
): Promise<T> {
  let delay = opts.baseDelayMs ?? 100;
  for (let tries = 0;; tries++) {
    try {
      return await withinTime(work, opts.attemptTimeoutMs);
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      for (const listener of connectionErrorListeners) listener(err);
      if (Date.now() + delay > opts.deadline) throw err;
      if (tries === 0) opts.onOutage?.(err);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 2_000);
    }
  }
}
