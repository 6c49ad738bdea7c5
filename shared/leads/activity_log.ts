/**
 * lead_activities rows: the audit trail admins read. Every row the functions write about a
 * message is built here, from an outbox outcome, so each activity type has one spelling and
 * one shape of metadata. Logging never breaks sending: a failed write is reported on stderr
 * (masked) and swallowed.
 */
import type postgres from "postgres";
import type { ActivityType, InboundSms } from "./types.ts";
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

/** A change of a phone's SMS consent, on one of its leads (null: a number no lead gave). */
export function consentActivity(change: {
  event: "opt_out" | "opt_in";
  source: string;
  phone: string;
  detail: string | null;
  leadId: string | null;
  suppressed: number;
}): ActivityEntry {
  const how = change.source === "sms_keyword"
    ? `by text${change.detail ? ` ("${change.detail.slice(0, 80)}")` : ""}`
    : `(${change.source}${change.detail ? `: ${change.detail}` : ""})`;
  return {
    lead_id: change.leadId,
    activity_type: change.event === "opt_out" ? "sms_opt_out" : "sms_opt_in",
    description: change.event === "opt_out"
      ? `Opted out of texts ${how}; ${change.suppressed} waiting text(s) suppressed`
      : `Opted in to texts ${how}`,
    metadata: {
      phone: maskPII(change.phone),
      source: change.source,
      text: change.detail,
      ...(change.event === "opt_out" ? { suppressed: change.suppressed } : {}),
    },
  };
}

/** A customer's text that goes to a person (`sms_received`). */
export function smsReceivedActivity(inbound: InboundSms): ActivityEntry {
  const media = inbound.media.length;
  return {
    lead_id: inbound.lead_id,
    activity_type: "sms_received",
    description: `Customer texted: ${inbound.body.slice(0, 200)}${
      media > 0 ? ` (+${media} attachment${media > 1 ? "s" : ""})` : ""
    }`,
    metadata: {
      message_sid: inbound.message_sid,
      from: maskPII(inbound.from_phone),
      text: inbound.body,
      media: inbound.media,
    },
  };
}

/** A text's final delivery report (`sms_delivered`, `sms_failed`). */
export function deliveryActivity(report: {
  leadId: string | null;
  outboxKey: string;
  template: string;
  messageSid: string;
  status: string;
  errorCode: number | null;
}): ActivityEntry {
  const delivered = report.status === "delivered";
  return {
    lead_id: report.leadId,
    activity_type: delivered ? "sms_delivered" : "sms_failed",
    description: delivered
      ? `${report.template} delivered`
      : `${report.template} ${report.status}${
        report.errorCode ? ` (Twilio ${report.errorCode})` : ""
      }`,
    metadata: {
      outbox_key: report.outboxKey,
      template: report.template,
      provider_message_id: report.messageSid,
      delivery_status: report.status,
      error_code: report.errorCode,
    },
  };
}

/** What Resend reported about an email it took (resend-events), once per email and kind. */
export function emailEventActivity(event: {
  leadId: string | null;
  outboxKey: string;
  template: string;
  emailId: string;
  type: "email_delivered" | "email_bounced" | "email_complained" | "email_opened";
  detail: string | null;
  suppressed: boolean;
}): ActivityEntry {
  const what = {
    email_delivered: "delivered",
    email_bounced: "bounced",
    email_complained: "marked as spam by the recipient",
    email_opened: "opened",
  }[event.type];
  return {
    lead_id: event.leadId,
    activity_type: event.type,
    description: `${event.template} ${what}${
      event.detail ? `: ${event.detail.slice(0, 200)}` : ""
    }${event.suppressed ? "; the address gets no more email" : ""}`,
    metadata: {
      outbox_key: event.outboxKey,
      template: event.template,
      channel: "email",
      provider_message_id: event.emailId,
      // One activity per email and kind of event: a retried or repeated event adds none.
      email_event: `${event.emailId}:${event.type}`,
      ...(event.suppressed ? { suppressed: true } : {}),
    },
  };
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

/**
 * One activity's INSERT, for a CTE of a larger statement: its row is written only if the CTE
 * named `onlyIf` returned a row (an update that applied, an event seen for the first time),
 * so the activity and what it reports commit together or not at all.
 */
export function insertActivityIf(
  sql: postgres.Sql | postgres.TransactionSql,
  entry: ActivityEntry,
  onlyIf: string,
  opts: { skipRecorded?: boolean } = {},
) {
  const [row] = toRows(sql, [entry]);
  return sql`
    insert into public.lead_activities (lead_id, activity_type, description, metadata, created_by)
    select ${row.lead_id}::uuid, ${row.activity_type}::text, ${row.description}::text,
           ${row.metadata}, ${row.created_by}::text
    where exists (select from ${sql(onlyIf)})
    ${opts.skipRecorded ? sql`on conflict do nothing` : sql``}`;
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
  await insertActivities(tx, outcomes.flatMap((o) => activityFor(o) ?? []));
}

/** Writes activity rows inside the caller's transaction: they commit with what they record. */
export async function insertActivities(
  tx: postgres.TransactionSql,
  entries: ActivityEntry[],
  opts: { skipRecorded?: boolean } = {},
): Promise<void> {
  if (entries.length === 0) return;
  // skipRecorded: an activity with a unique mark already there (an email event) is not repeated.
  await tx`insert into public.lead_activities ${tx(toRows(tx, entries))} ${
    opts.skipRecorded ? tx`on conflict do nothing` : tx``
  }`;
}
