/**
 * Work a test does inside a transaction that is rolled back when it ends, whatever happens:
 * what it wrote is never seen by another test, and nothing needs putting back.
 */
import type postgres from "postgres";

class Rollback extends Error {}

export async function inRollback<T>(
  sql: postgres.Sql,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T;
  await sql.begin(async (tx) => {
    result = await fn(tx);
    throw new Rollback();
  }).catch((err) => {
    if (!(err instanceof Rollback)) throw err;
  });
  return result!;
}
