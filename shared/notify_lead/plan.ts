/**
 * Records a new lead's messages in the outbox: the decision is planNewLeadMessages() (pure);
 * this is the transaction around it. Insert-if-absent on each message key makes a repeated
 * webhook, or a sweep racing the webhook, add nothing.
 */
import type postgres from "postgres";
import { planNewLeadMessages } from "../messages/plan_new_lead.ts";
import { insertIfAbsent, type OutboxRow } from "../outbox/store.ts";
import { loadSmsConsent, lockLead } from "../lead_store.ts";
import { type ActivityEntry, logActivities } from "../activity_log.ts";
import { maskPII } from "../mask.ts";

export class LeadNotFoundError extends Error {
  override name = "LeadNotFoundError";
}

export interface PlanOutcome {
  leadId: string;
  /** Rows recorded by this call (empty when the lead was already planned). */
  created: OutboxRow[];
}

export async function planLeadNotifications(
  sql: postgres.Sql,
  leadId: string,
  opts: { adminEmail: string },
): Promise<PlanOutcome> {
  const created: OutboxRow[] = await sql.begin(async (tx) => {
    const lead = await lockLead(tx, leadId);
    if (!lead) throw new LeadNotFoundError(`Lead ${leadId} not found`);
    const consent = lead.phone_e164
      ? (await loadSmsConsent(tx, [lead.phone_e164])).get(lead.phone_e164)
      : undefined;
    const planned = planNewLeadMessages(lead, {
      adminEmail: opts.adminEmail,
      smsConsent: consent ?? "none",
    });
    const rows = await insertIfAbsent(
      tx,
      planned.map((m) => ({
        key: m.key,
        lead_id: lead.id,
        channel: m.channel,
        template: m.template,
        recipient: m.recipient,
        status: m.suppressedReason ? "suppressed" as const : "pending" as const,
        status_reason: m.suppressedReason,
      })),
    );
    await tx`update public.leads set notifications_planned_at = coalesce(notifications_planned_at, now()) where id = ${lead.id}`;
    return rows;
  }) as OutboxRow[];
  const suppressed: ActivityEntry[] = created.filter((r) => r.status === "suppressed").map((r) => ({
    lead_id: r.lead_id,
    activity_type: "notification_suppressed",
    description: `${r.template} not sent: ${r.status_reason}`,
    metadata: {
      template: r.template,
      channel: r.channel,
      reason: r.status_reason,
      outbox_key: r.key,
      recipient: r.recipient ? maskPII(r.recipient) : null,
    },
  }));
  await logActivities(sql, suppressed);
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
