/**
 * The functions' connection pools to Postgres (SUPABASE_DB_URL, injected by Supabase).
 * Claims need transactions and `skip locked`, which the REST layer cannot do.
 */
import postgres from "postgres";
import { isConnectionError, onConnectionError } from "./db_retry.ts";
import { onBeforeUnload, waitUntil } from "./edge_worker.ts";

/**
 * Ample for a direct or pooled connection to Supabase (tens to a few hundred ms); see `db()`.
 * A connection that takes longer is the stuck start-up renewingPool is about.
 */
const CONNECT_TIMEOUT_SECONDS = 3;

/** A pool is replaced at most this often (a database that stays away is not hammered). */
const RENEW_AFTER_MS = 1_000;
/** How long the queries still on a replaced pool get to finish. */
const RETIRED_POOL_SECONDS = 5;

interface RenewingPool {
  sql: postgres.Sql;
  renew(): void;
  /** Ends the pool's connections once their queries are done; a later call connects afresh. */
  close(): Promise<void>;
}

const pools = new Map<string, RenewingPool>();

/**
 * A pool that is replaced by a fresh one after a connection error. postgres.js 3.4.9 leaves a
 * connection unusable for good when the server closes it while a write is queued: `closed()`
 * clears the write's setImmediate but not `nextWriteTimer`, so every later short write (the
 * next start-up message included) waits for a flush that never comes, and each reconnect ends
 * in CONNECT_TIMEOUT, again and again (seen after restarts and pg_terminate_backend, under
 * Deno 2.1.4 and 2.9 alike). A new pool's connections are fresh objects and connect at once.
 * Callers keep one `sql`; each call goes to the pool of the moment, and the replaced one is
 * ended once its queries are done.
 */
function renewingPool(make: () => postgres.Sql): RenewingPool {
  let current = make();
  let since = Date.now();
  const sql = new Proxy(function () {} as unknown as postgres.Sql, {
    apply: (_target, _this, args) => (current as unknown as (...a: unknown[]) => unknown)(...args),
    get: (_target, prop) => {
      const value = (current as unknown as Record<PropertyKey, unknown>)[prop];
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
  return {
    sql,
    renew() {
      if (Date.now() - since < RENEW_AFTER_MS) return;
      const old = current;
      current = make();
      since = Date.now();
      old.end({ timeout: RETIRED_POOL_SECONDS }).catch(() => {});
    },
    async close() {
      const old = current;
      // postgres.js connects lazily: the new pool holds no connection until a query needs one.
      current = make();
      since = Date.now();
      await old.end({ timeout: RETIRED_POOL_SECONDS }).catch(() => {});
    },
  };
}

let closingOnRetirement = false;

/**
 * A retired worker ends its pools' connections before it ends, so the database (or Supavisor)
 * gets them back at once rather than when it notices the worker gone; workers come and go with
 * the load, and each held up to 15 connections. The runtime drops a retired worker only once
 * nothing is in flight ("early_drop"), so no query of this worker is cut short; a request
 * routed to it in its last moment connects afresh. Closing is work the worker waits for.
 * The other reasons (a limit about to be hit) come while work is in flight and still needs
 * its connections: the worker's end closes them.
 */
function closePoolsOnRetirement() {
  if (closingOnRetirement) return;
  closingOnRetirement = true;
  onBeforeUnload((reason) => {
    if (reason === "early_drop") waitUntil(closePools());
  });
}

/** Ends every pool's connections (see closePoolsOnRetirement); the pools stay usable. */
export async function closePools(): Promise<void> {
  await Promise.all([...pools.values()].map((pool) => pool.close()));
}

// A query that never settled says nothing about the pool's connections; any other connection
// error a retry rides out renews them.
onConnectionError((err) => {
  if ((err as { code?: string })?.code === "QUERY_STALLED") return;
  for (const pool of pools.values()) pool.renew();
});

let guarded = false;

/**
 * postgres.js 3.4.9 can write to a connection the server has just closed from a queued
 * setImmediate; on Deno that write throws outside any query, as an unhandled rejection or,
 * from the immediate itself, an uncaught TypeError ("Cannot read properties of null (reading
 * 'write')"), either of which would end the whole function (porsager/postgres#1154, #1208,
 * denoland/deno#34667; seen here on a PostgreSQL restart). When a database
 * restarts, such connection errors also reach rejections no query holds. The queries
 * themselves are failed through the connection's close, and callers retry those, so these
 * stray errors are logged and kept from taking the process down. Nothing else is caught.
 */
export function guardAgainstStrayConnectionErrors() {
  if (guarded) return;
  guarded = true;
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (!isConnectionError(event.reason)) return;
    event.preventDefault();
    console.warn(`postgres: stray connection error ignored (${event.reason?.message})`);
  });
  globalThis.addEventListener("error", (event) => {
    if (!isWriteToClosedSocket(event.error)) return;
    event.preventDefault();
    console.warn("postgres: write to a closed connection ignored (porsager/postgres#1154)");
  });
}

/** The null-socket write of postgres.js's nextWrite, and nothing else. */
function isWriteToClosedSocket(err: unknown): boolean {
  return err instanceof TypeError && /reading 'write'/.test(err.message) &&
    /postgres[/@][^\n]*connection\.js/.test(err.stack ?? "");
}

/** What this function's connections are called in pg_stat_activity (see nameConnections). */
let applicationName = "leadwire";

/**
 * Names the connections of this function (`pg_stat_activity.application_name`, e.g.
 * `notify-lead`), so an admin sees in the dashboard which function holds which connections.
 * Each function's entrypoint calls it once, before its first db().
 */
export function nameConnections(functionName: string): void {
  applicationName = functionName;
}

/**
 * The pool for one purpose of a function instance, however often the function's module is
 * evaluated. Work that must not queue behind a burst (sending) gets a pool of its own.
 */
export function db(url: string, opts: { purpose?: string; max?: number } = {}): postgres.Sql {
  const key = `${opts.purpose ?? "main"} ${url}`;
  let pool = pools.get(key);
  if (!pool) {
    guardAgainstStrayConnectionErrors();
    closePoolsOnRetirement();
    // prepare: false keeps the pool usable behind Supavisor's transaction mode. A connection
    // whose start-up never completes is given up after 3 s, not postgres.js's 30, and its
    // pool replaced (see renewingPool), while the lease the callers work under is theirs.
    pool = renewingPool(() =>
      postgres(url, {
        max: opts.max ?? 10,
        prepare: false,
        connect_timeout: CONNECT_TIMEOUT_SECONDS,
        connection: { application_name: applicationName },
        onnotice: () => {},
      })
    );
    pools.set(key, pool);
  }
  return pool.sql;
}
