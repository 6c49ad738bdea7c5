/**
 * The one way a test changes what every test shares: the business_settings row, the staff
 * roster, a fake's faults and latency, the functions' env. Each change returns a `Change` that
 * puts back exactly what was there before it (not a shipped default), and `await using` makes
 * that happen however the test ends, failed included:
 *
 * ```ts
 * await using _window = await smsWindowAlwaysOpen(sql);
 * await using _roster = await changeRows(sql, "staff_members", ["on_call"], () =>
 *   sql`update public.staff_members set on_call = false`);
 * ```
 *
 * Changes nest: each puts back what was there when it was made, so they are undone in reverse.
 */
import type postgres from "postgres";
import { stack } from "./stack.ts";
import { resend, switches, twilio, webhooks } from "./fakes.ts";
import type { FaultRule } from "../../supabase/local/fakes/mod.ts";
import { functionEnv } from "../../supabase/local/local_env.ts";

/** A change to shared state, undone once by `restore()` or by leaving an `await using` scope. */
export class Change implements AsyncDisposable {
  #undo: (() => Promise<unknown>) | null;

  constructor(undo: () => Promise<unknown>) {
    this.#undo = undo;
  }

  /** Puts back what was there; a second call does nothing. */
  async restore(): Promise<void> {
    const undo = this.#undo;
    this.#undo = null;
    await undo?.();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.restore();
  }
}

/** The shared tables a test may change (each keyed by `id`). */
export type SharedTable = "business_settings" | "staff_members";

/**
 * Runs `change` (updates of `table`) after saving `columns` of every row, and returns the Change
 * that writes them back, row by row: for updates computed in SQL (`on_call = email = …`).
 */
export async function changeRows(
  sql: postgres.Sql,
  table: SharedTable,
  columns: string[],
  change: () => Promise<unknown>,
): Promise<Change> {
  const saved = await sql`select id, ${sql(columns)} from ${sql("public." + table)}`;
  const undo = new Change(async () => {
    for (const row of saved) {
      await sql`update ${sql("public." + table)} set ${sql(row, columns)} where id = ${row.id}`;
    }
  });
  try {
    await change();
  } catch (error) {
    await undo.restore();
    throw error;
  }
  return undo;
}

/** Sets these business_settings columns; the Change puts back the values they had. */
export function changeSettings(
  sql: postgres.Sql,
  values: Record<string, unknown>,
): Promise<Change> {
  const columns = Object.keys(values);
  return changeRows(
    sql,
    "business_settings",
    columns,
    () => sql`update public.business_settings set ${sql(values as postgres.Row, columns)}`,
  );
}

/** Opens the SMS window around the clock (tests must not depend on the hour they run at). */
export function smsWindowAlwaysOpen(sql: postgres.Sql): Promise<Change> {
  return changeSettings(sql, { sms_window_start_hour: 0, sms_window_end_hour: 24 });
}

/**
 * For tests whose leads share a phone or email on purpose (a STOP, then a new lead from that
 * phone): no lead is taken as a repeat of an earlier one.
 */
export function allowRepeatSubmissions(sql: postgres.Sql): Promise<Change> {
  return changeSettings(sql, { duplicate_window_minutes: 0 });
}

const fakes = { resend, twilio, webhooks };
type FakeName = keyof typeof fakes;

/** Each fake's latency as this test process last set it (a fresh stack starts at 0). */
const latencies = new Map<FakeName, number>();

/** Delays every answer of a fake; the Change puts back the latency it had. */
export async function changeLatency(fake: FakeName, ms: number): Promise<Change> {
  const before = latencies.get(fake) ?? 0;
  await fakes[fake].latency(ms);
  latencies.set(fake, ms);
  return new Change(async () => {
    await fakes[fake].latency(before);
    latencies.set(fake, before);
  });
}

/**
 * Arms a fault on a fake; the Change withdraws what of it is still pending (a fault the test's
 * own requests never took must not answer another test's).
 */
export async function addFault(
  fake: FakeName,
  rule: Partial<FaultRule> & { times: number },
): Promise<Change> {
  await fakes[fake].fault(rule);
  return new Change(() => fakes[fake].withdrawFault(rule));
}

/** The env every function starts with on the test stack (what `null` in a change puts back). */
const startingEnv = functionEnv({}, {
  apiUrl: stack.apiUrl,
  dbUrl: stack.dbUrl,
  twilioUrl: stack.twilioUrl,
  resendUrl: stack.resendUrl,
});
/** Project secrets this test process set and has not put back yet. */
const envNow = new Map<string, string | null>();

/**
 * Sets (string) or unsets (null) project secrets, as `supabase secrets set` does (every
 * function's workers are replaced); the Change sets back the values they had.
 */
export async function changeFunctionEnv(
  name: string,
  env: Record<string, string | null>,
): Promise<Change> {
  const before = Object.fromEntries(
    Object.keys(env).map((key) => [
      key,
      envNow.has(key) ? envNow.get(key)! : startingEnv[key] ?? null,
    ]),
  );
  await switches.functionEnv(name, env);
  for (const [key, value] of Object.entries(env)) envNow.set(key, value);
  return new Change(async () => {
    await switches.functionEnv(name, before);
    for (const [key, value] of Object.entries(before)) envNow.set(key, value);
  });
}
