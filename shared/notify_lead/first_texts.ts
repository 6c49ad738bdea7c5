/**
 * The first-text guard: a script that types a thousand strangers' numbers into the form must not
 * make the shop text them. Confirmation texts to numbers never texted before are counted per
 * hour; past `business_settings.first_texts_per_hour` the next ones are held (deferred,
 * `first_text_hold`, with no time set) until an admin has looked and runs
 * `select release_held_texts()`. Their leads are saved and emailed, staff hear of them as ever,
 * and the sweep's alert tells the admin (shared/admin/health.ts).
 */
import type postgres from "postgres";
import type { NewOutboxRow } from "../outbox/store.ts";

/** The text the guard counts: the confirmation a new lead's customer gets. */
export const FIRST_TEXT_TEMPLATE = "initial_confirmation_sms";
/** Why a held text waits. */
export const FIRST_TEXT_HOLD = "first_text_hold";
/** A held text's time: none, until an admin releases it. */
export const HELD_UNTIL_RELEASED = new Date("9999-12-31T00:00:00Z");

/** What the decision needs, gathered under the guard's lock. */
export interface FirstTextFacts {
  /** Numbers that were sent (or are about to be sent) a text before. */
  textedBefore: ReadonlySet<string>;
  /** First texts planned in the last hour and not held. */
  firstTextsLastHour: number;
  /** `business_settings.first_texts_per_hour`. */
  perHour: number;
}

/**
 * Marks each confirmation text to a number never texted before (`payload.first_text`), and
 * holds those past the hour's limit; other rows pass unchanged. A number given twice in one
 * batch is a first text once.
 */
export function holdFirstTexts(
  rows: readonly NewOutboxRow[],
  facts: FirstTextFacts,
): NewOutboxRow[] {
  let counted = facts.firstTextsLastHour;
  const seen = new Set(facts.textedBefore);
  return rows.map((row) => {
    if (
      row.template !== FIRST_TEXT_TEMPLATE || row.status === "suppressed" || !row.recipient ||
      seen.has(row.recipient)
    ) {
      return row;
    }
    seen.add(row.recipient);
    const first = { ...row, payload: { ...row.payload, first_text: true } };
    if (counted < facts.perHour) {
      counted++;
      return first;
    }
    return {
      ...first,
      status: "deferred",
      status_reason: FIRST_TEXT_HOLD,
      next_attempt_at: HELD_UNTIL_RELEASED,
    };
  });
}

/**
 * `rows` with the guard applied, in the planning transaction: planners take turns (a
 * transaction-scoped lock), so concurrent bursts cannot all pass the count.
 */
export async function limitFirstTexts(
  tx: postgres.TransactionSql,
  rows: NewOutboxRow[],
  opts: { perHour: number; now: Date },
): Promise<NewOutboxRow[]> {
  const phones = [
    ...new Set(
      rows.flatMap((r) =>
        r.template === FIRST_TEXT_TEMPLATE && r.status !== "suppressed" && r.recipient
          ? [r.recipient]
          : []
      ),
    ),
  ];
  if (phones.length === 0) return rows;
  await tx`select pg_advisory_xact_lock(hashtext('leadwire:first_texts'))`;
  // created_at is the database's clock, `now` the planner's: bounded on both sides, as the
  // paging count is.
  const [texted, [{ count }]] = await Promise.all([
    tx<{ recipient: string }[]>`
      select distinct recipient from public.notifications_outbox
      where channel = 'sms' and recipient = any (${tx.array(phones)})
        and status in ('sent', 'sending', 'pending', 'retry', 'deferred')`,
    tx<{ count: number }[]>`
      select count(*)::int as count from public.notifications_outbox
      where payload ? 'first_text' and status_reason is distinct from ${FIRST_TEXT_HOLD}
        and created_at > ${opts.now}::timestamptz - interval '1 hour'
        and created_at <= ${opts.now}::timestamptz + interval '1 hour'`,
  ]);
  return holdFirstTexts(rows, {
    textedBefore: new Set(texted.map((r) => r.recipient)),
    firstTextsLastHour: count,
    perHour: opts.perHour,
  });
}
