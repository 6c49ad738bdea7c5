/**
 * Records a new lead's messages in the outbox: the decision is planMessages() (pure); this is
 * the transaction around it. Insert-if-absent on each message key makes a repeated webhook,
 * or a sweep racing the webhook, add nothing.
 */
import type postgres from "postgres";
import { planMessages } from "../messages/plan.ts";
import { rankOf } from "../messages/catalog.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { insertIfAbsent, type OutboxRow } from "../outbox/store.ts";
import { lockLeadForPlanning } from "../leads/lead_store.ts";
import { activityFor, logActivities } from "../leads/activity_log.ts";

export class LeadNotFoundError extends Error {
  override name = "LeadNotFoundError";
}

export interface PlanOutcome {
  leadId: string;
  /** Rows recorded by this call (empty when the lead was already planned). */
  created: OutboxRow[];
}

/** Plans a new lead's messages; `now` is the moment the SMS rules are applied at. */
export async function planLeadNotifications(
  sql: postgres.Sql,
  leadId: string,
  opts: { setup: MessageSetup; now: Date },
): Promise<PlanOutcome> {
  const created: OutboxRow[] = await sql.begin(async (tx) => {
    const facts = await lockLeadForPlanning(tx, leadId);
    if (!facts) throw new LeadNotFoundError(`Lead ${leadId} not found`);
    const { lead } = facts;
    const planned = planMessages("new_lead", lead, { ...facts, setup: opts.setup, now: opts.now });
    // Pipelined: one round trip for both writes.
    const [rows] = await Promise.all([
      insertIfAbsent(
        tx,
        planned.map((m) => ({
          key: m.key,
          lead_id: lead.id,
          channel: m.channel,
          template: m.template,
          recipient: m.recipient,
          rank: rankOf(m.template),
          status: m.suppressedReason ? "suppressed" : m.deferredUntil ? "deferred" : "pending",
          status_reason: m.suppressedReason ?? (m.deferredUntil ? "quiet_hours" : null),
          next_attempt_at: m.deferredUntil ?? null,
        })),
      ),
      tx`update public.leads set notifications_planned_at = coalesce(notifications_planned_at, now())
       where id = ${lead.id}`,
    ]);
    return rows;
  }) as OutboxRow[];
  await logActivities(
    sql,
    created.flatMap((row) => {
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
  return { leadId, created };
}

/** Leads the webhook never reached: inserted more than `graceSeconds` ago and still unplanned. */
export async function findUnplannedLeads(
  sql: postgres.Sql,
  graceSeconds: number,
  limit = 500,
): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select id from public.leads
    where notifications_planned_at is null and created_at < now() - make_interval(secs => ${graceSeconds})
    order by created_at limit ${limit}`;
  return rows.map((r) => r.id);
}
