/**
 * The functions' connection pools to Postgres (SUPABASE_DB_URL, injected by Supabase).
 * Claims need transactions and `skip locked`, which the REST layer cannot do.
 */
import postgres from "postgres";
import { isConnectionError } from "./db_retry.ts";

/** Ample for a direct or pooled connection to Supabase; see `db()`. */
const CONNECT_TIMEOUT_SECONDS = 5;

const pools = new Map<string, postgres.Sql>();

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

/**
 * The pool for one purpose of a function instance, however often the function's module is
 * evaluated. Work that must not queue behind a burst (sending) gets a pool of its own.
 */
export function db(url: string, opts: { purpose?: string; max?: number } = {}): postgres.Sql {
  const key = `${opts.purpose ?? "main"} ${url}`;
  let pool = pools.get(key);
  if (!pool) {
    guardAgainstStrayConnectionErrors();
    // prepare: false keeps the pool usable behind Supavisor's transaction mode. A connection
    // whose start-up write Deno dropped after a restart never completes (the same postgres.js
    // bug as above): giving up on it after 5 s, not postgres.js's 30, lets the callers' retries
    // reach a fresh connection while the lease they work under is still theirs.
    pool = postgres(url, {
      max: opts.max ?? 10,
      prepare: false,
      connect_timeout: CONNECT_TIMEOUT_SECONDS,
      onnotice: () => {},
    });
    pools.set(key, pool);
  }
  return pool;
}
