/**
 * The functions' one connection pool to Postgres (SUPABASE_DB_URL, injected by Supabase).
 * Claims need transactions and `skip locked`, which the REST layer cannot do.
 */
import postgres from "postgres";
import { config } from "./config.ts";

let pool: postgres.Sql | undefined;

export function db(): postgres.Sql {
  // prepare: false keeps the pool usable behind Supavisor's transaction mode.
  pool ??= postgres(config().SUPABASE_DB_URL, { max: 10, prepare: false, onnotice: () => {} });
  return pool;
}
