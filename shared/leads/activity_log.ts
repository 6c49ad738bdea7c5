/**
 * lead_activities rows: the audit trail admins read. Every row the functions write about a
 * message is built here, from an outbox outcome, so each activity type has one spelling and
 * one shape of metadata. Logging never breaks sending: a failed write is reported on stderr
 * (masked) and swallowed.
 */
import type postgres from "postgres";
import type { ActivityType } from "./types.ts";
import type { Outcome } from "../outbox/channel.ts";
import type { Channel } from "../outbox/store.ts";
import { maskPII } from "../platform/mask.ts";

export interface ActivityEntry {
  lead_id: string | null;
  activity_type: ActivityType;
  description: string;
  metadata?: Record<string, unknown>;
  created_by?: string;
}

const SENT: Record<Channel, ActivityType> = {
  email: "email_sent",
  sms: "sms_sent",
  webhook: "webhook_sent",
};
const FAILED: Record<Channel, ActivityType> = {
  email: "email_failed",
  sms: "sms_failed",
  webhook: "webhook_failed",
};

/** The activity an outcome leaves on the lead's timeline; null for a retry (not news yet). */
export function activityFor(outcome: Outcome): ActivityEntry | null {
  const { row } = outcome;
  const base = {
    template: row.template,
    channel: row.channel,
    outbox_key: row.key,
    attempt: row.attempts,
    recipient: row.recipient ? maskPII(row.recipient) : null,
  };
  const entry = (
    activity_type: ActivityType,
    description: string,
    details: Record<string, unknown>,
  ): ActivityEntry => ({
    lead_id: row.lead_id,
    activity_type,
    description,
    metadata: { ...base, ...details },
  });
  switch (outcome.kind) {
    case "sent":
      return entry(
        SENT[row.channel],
        `${row.template} accepted by ${outcome.provider}`,
        { provider_message_id: outcome.providerMessageId },
      );
    case "dead":
      return outcome.failure
        ? entry(FAILED[row.channel], `${row.template} failed: ${outcome.reason}`, {
          error: outcome.reason,
          error_code: outcome.failure.code ?? null,
          final: true,
        })
        : entry("notification_failed", `${row.template} cannot be sent: ${outcome.reason}`, {
          reason: outcome.reason,
        });
    case "suppressed":
      return entry("notification_suppressed", `${row.template} not sent: ${outcome.reason}`, {
        reason: outcome.reason,
      });
    case "deferred":
      return entry(
        "notification_deferred",
        `${row.template} waits for ${outcome.until.toISOString()} (${outcome.reason})`,
        { reason: outcome.reason, until: outcome.until.toISOString() },
      );
    case "retry":
      return null;
  }
}

function toRows(sql: postgres.Sql | postgres.TransactionSql, entries: ActivityEntry[]) {
  return entries.map((e) => ({
    lead_id: e.lead_id,
    activity_type: e.activity_type,
    description: e.description,
    metadata: sql.json((e.metadata ?? {}) as postgres.JSONValue),
    created_by: e.created_by ?? "system",
  }));
}

function reportUnlogged(count: number, err: unknown) {
  console.error(maskPII(`could not log ${count} activities: ${(err as Error).message}`));
}

/** Writes activity rows on their own (outside any outbox transition). */
export async function logActivities(sql: postgres.Sql, entries: ActivityEntry[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    await sql`insert into public.lead_activities ${sql(toRows(sql, entries))}`;
  } catch (err) {
    reportUnlogged(entries.length, err);
  }
}

/**
 * The journal a drain is handed: each applied outcome's activity, written in one statement
 * inside the outcome's transaction.
 */
export async function journalOutcomes(
  tx: postgres.TransactionSql,
  outcomes: Outcome[],
): Promise<void> {
  const entries = outcomes.flatMap((o) => activityFor(o) ?? []);
  if (entries.length === 0) return;
  await tx`insert into public.lead_activities ${tx(toRows(tx, entries))}`;
}
