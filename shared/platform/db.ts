/**
 * The functions' connection pools to Postgres (SUPABASE_DB_URL, injected by Supabase).
 * Claims need transactions and `skip locked`, which the REST layer cannot do.
 */
import postgres from "postgres";

const pools = new Map<string, postgres.Sql>();

/**
 * The pool for one purpose of a function instance, however often the function's module is
 * evaluated. Work that must not queue behind a burst (sending) gets a pool of its own.
 */
export function db(url: string, opts: { purpose?: string; max?: number } = {}): postgres.Sql {
  const key = `${opts.purpose ?? "main"} ${url}`;
  let pool = pools.get(key);
  if (!pool) {
    // prepare: false keeps the pool usable behind Supavisor's transaction mode.
    pool = postgres(url, { max: opts.max ?? 10, prepare: false, onnotice: () => {} });
    pools.set(key, pool);
  }
  return pool;
}
