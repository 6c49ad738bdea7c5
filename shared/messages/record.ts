/**
 * Planned messages as outbox rows: what every planner (new leads, appointments, reminders)
 * writes, and the activities that say at once why a message will not simply go.
 */
import type postgres from "postgres";
import type { PlannedMessage } from "./plan.ts";
import { rankOf } from "./catalog.ts";
import type { NewOutboxRow, OutboxRow } from "../outbox/store.ts";
import { activityFor, logActivities } from "../leads/activity_log.ts";

/** The outbox rows of one lead's planned messages, each carrying `payload`. */
export function outboxRows(
  planned: PlannedMessage[],
  leadId: string,
  payload?: Record<string, unknown>,
): NewOutboxRow[] {
  return planned.map((m) => ({
    key: m.key,
    lead_id: leadId,
    channel: m.channel,
    template: m.template,
    recipient: m.recipient,
    rank: rankOf(m.template),
    status: m.suppressedReason ? "suppressed" : m.deferredUntil ? "deferred" : "pending",
    status_reason: m.suppressedReason ??
      (m.deferredUntil ? m.deferredReason ?? "quiet_hours" : null),
    next_attempt_at: m.deferredUntil ?? null,
    payload,
  }));
}

/** Logs the new rows that were suppressed or deferred when planned. */
export async function logPlanned(sql: postgres.Sql, rows: OutboxRow[]): Promise<void> {
  await logActivities(
    sql,
    rows.flatMap((row) => {
      const activity = row.status === "suppressed"
        ? activityFor({ row, kind: "suppressed", reason: row.status_reason ?? "" })
        : row.status === "deferred"
        ? activityFor({
          row,
          kind: "deferred",
          reason: row.status_reason ?? "",
          until: row.next_attempt_at,
        })
        : null;
      return activity ? [activity] : [];
    }),
  );
}
