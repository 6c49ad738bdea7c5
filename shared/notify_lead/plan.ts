/**
 * Records a new lead's messages in the outbox: the decision is planMessages() (pure); this is
 * the transaction around it. Insert-if-absent on each message key makes a repeated webhook,
 * or a sweep racing the webhook, add nothing.
 */
import type postgres from "postgres";
import { planMessages } from "../messages/plan.ts";
import { logPlanned, outboxRows } from "../messages/record.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { insertIfAbsent, type OutboxRow } from "../outbox/store.ts";
import { lockLeadsForPlanning } from "../leads/lead_store.ts";

/**
 * Plans the messages of new leads in one transaction; `now` is the moment the SMS rules are
 * applied at. Returns the rows each lead got from this call (none when it was planned
 * before); ids with no lead are not in the map.
 */
export async function planLeadsNotifications(
  sql: postgres.Sql,
  leadIds: string[],
  opts: { setup: MessageSetup; now: Date },
): Promise<Map<string, OutboxRow[]>> {
  const { found, rows } = await sql.begin(async (tx) => {
    const leads = await lockLeadsForPlanning(tx, leadIds);
    const planned = leads.flatMap((facts) =>
      outboxRows(
        planMessages("new_lead", facts.lead, { ...facts, setup: opts.setup, now: opts.now }),
        facts.lead.id,
      )
    );
    const ids = leads.map((f) => f.lead.id);
    // Pipelined: one round trip for both writes.
    const [rows] = await Promise.all([
      insertIfAbsent(tx, planned),
      tx`update public.leads set notifications_planned_at = coalesce(notifications_planned_at, now())
         where id = any (${tx.array(ids)}::uuid[])`,
    ]);
    return { found: ids, rows };
  }) as { found: string[]; rows: OutboxRow[] };
  await logPlanned(sql, rows);
  const created = new Map(found.map((id) => [id, [] as OutboxRow[]]));
  for (const row of rows) created.get(row.lead_id!)?.push(row);
  return created;
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
