/**
 * The staff digest's side of a planning transaction (the decision is staff_digest.ts): each
 * recipient of new-lead alerts is locked for the transaction, so concurrent planners count their
 * window one after another and never both send the last alert the window allows.
 */
import type postgres from "postgres";
import type { BusinessSettings } from "../leads/types.ts";
import type { NewOutboxRow } from "../outbox/store.ts";
import {
  gatherStaffAlerts,
  type RecipientWindow,
  STAFF_ALERT_TEMPLATE,
  STAFF_DIGEST_TEMPLATE,
} from "./staff_digest.ts";
import { joinDigest, lockWaitingDigest, plannedWithin } from "./digest_store.ts";

/**
 * `rows` with each alert recipient's window applied (see gatherStaffAlerts); alerts gathered
 * into a digest that is already waiting are added to its `payload.gathered`. `references` maps
 * lead ids to their Refs.
 */
export async function limitStaffAlerts(
  tx: postgres.TransactionSql,
  rows: NewOutboxRow[],
  references: ReadonlyMap<string, string>,
  opts: {
    settings: Pick<BusinessSettings, "staff_alerts_per_window" | "staff_alert_window_minutes">;
    now: Date;
  },
): Promise<NewOutboxRow[]> {
  const recipients = [
    ...new Set(
      rows.flatMap((r) =>
        r.template === STAFF_ALERT_TEMPLATE && r.status !== "suppressed" && r.recipient
          ? [r.recipient]
          : []
      ),
    ),
  ].sort();
  if (recipients.length === 0) return rows;
  const minutes = opts.settings.staff_alert_window_minutes;
  const windows = new Map<string, RecipientWindow>();
  // One at a time and in order: two planners locking two recipients never wait on each other.
  for (const to of recipients) {
    await tx`select pg_advisory_xact_lock(hashtext(${`leadwire:staff_alerts:${to}`}))`;
    const [window, digest] = await Promise.all([
      plannedWithin(tx, to, [STAFF_ALERT_TEMPLATE], opts.now, minutes),
      lockWaitingDigest(tx, to, STAFF_DIGEST_TEMPLATE),
    ]);
    windows.set(to, { alertsInWindow: window.count, waitingDigest: digest });
  }
  const plan = gatherStaffAlerts(rows, references, {
    perWindow: opts.settings.staff_alerts_per_window,
    windowMinutes: minutes,
    windows,
    now: opts.now,
  });
  for (const [key, leads] of plan.joinDigest) await joinDigest(tx, key, "gathered", leads);
  return plan.rows;
}
