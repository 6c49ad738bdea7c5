/**
 * Records a new lead's messages in the outbox: the decision is planMessages() (pure); this is
 * the transaction around it. Insert-if-absent on each message key makes a repeated webhook,
 * or a sweep racing the webhook, add nothing.
 */
import type postgres from "postgres";
import { planMessages } from "../messages/plan.ts";
import { logPlanned, outboxRows } from "../messages/record.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { insertIfAbsent, type NewOutboxRow, type OutboxRow } from "../outbox/store.ts";
import type { BusinessSettings, Lead } from "../leads/types.ts";
import { lockLeadsForPlanning } from "../leads/lead_store.ts";
import { loadRoster, recordTurns } from "../leads/staff_store.ts";
import { logActivities } from "../leads/activity_log.ts";
import { maskEmail } from "../platform/mask.ts";
import { onCallOf, type RoutedLead, routeLeads } from "./routing.ts";
import { limitOnCallPaging, type OnCall } from "./paging_store.ts";
import { limitFirstTexts } from "./first_texts.ts";
import { limitStaffAlerts } from "./staff_digest_store.ts";
import { type CaptchaVerdict, textOnlyVerified, verifyCaptchas } from "./captcha.ts";

/**
 * Plans the messages of new leads in one transaction: routes them (priority, whose turn,
 * possible duplicate; see routing.ts), stores that on each lead with a `lead_assigned`
 * activity, and records their messages. `now` is the moment the rules are applied at. Returns the rows each lead got from this call (none when it was planned
 * before); ids with no lead are not in the map.
 */
export async function planLeadsNotifications(
  sql: postgres.Sql,
  leadIds: string[],
  opts: { setup: MessageSetup; now: Date },
): Promise<Map<string, OutboxRow[]>> {
  const verdicts = opts.setup.turnstile
    ? await verifyCaptchas(sql, leadIds, opts.setup.turnstile)
    : new Map<string, CaptchaVerdict>();
  const { found, rows, assigned } = await sql.begin(async (tx) => {
    const leads = await lockLeadsForPlanning(tx, leadIds, { routing: true });
    // Locked only when someone takes a turn: concurrent planners wait here, not earlier.
    const roster = leads.length === 0
      ? []
      : await loadRoster(tx, { lock: leads.some((f) => !f.plannedBefore) });
    const { routed, lastAssigned } = routeLeads(leads, roster, {
      now: opts.now,
      onCallPhone: opts.setup.onCallPhone,
    });
    const planned = routed.flatMap(({ facts, routing }) =>
      outboxRows(
        planMessages("new_lead", facts.lead, {
          ...facts,
          setup: opts.setup,
          now: opts.now,
          routing,
        }),
        facts.lead.id,
      )
    );
    const fresh = routed.filter((r) => !r.facts.plannedBefore);
    // A lead planned before has its rows written already (inserting them again adds nothing):
    // only new leads' rows pass the limits, so each is counted once.
    const freshIds = new Set(fresh.map((r) => r.facts.lead.id));
    const limited = fresh.length === 0 ? [] : await limitNewLeadsRows(
      tx,
      planned.filter((r) => freshIds.has(r.lead_id!)),
      {
        leads: fresh.map((r) => r.facts.lead),
        onCall: onCallOf(roster, { now: opts.now, onCallPhone: opts.setup.onCallPhone }),
        settings: fresh[0].facts.settings,
        verdicts,
        now: opts.now,
      },
    );
    const decisions = fresh.map((r) => ({
      id: r.facts.lead.id,
      priority: r.routing.priority,
      assigned_to: r.assignee?.id ?? null,
      duplicate_of: r.routing.duplicateOf?.id ?? null,
    }));
    const ids = leads.map((f) => f.lead.id);
    // Pipelined: one round trip for every write.
    const [rows] = await Promise.all([
      insertIfAbsent(tx, [...planned.filter((r) => !freshIds.has(r.lead_id!)), ...limited]),
      // A CAPTCHA token is checked once, when the lead is first planned.
      tx`update public.leads set notifications_planned_at = coalesce(notifications_planned_at, now()),
           captcha_token = null
         where id = any (${tx.array(ids)}::uuid[])`,
      decisions.length === 0 ? [] : tx`
        update public.leads l set priority = d.priority, assigned_to = d.assigned_to,
          duplicate_of = d.duplicate_of
        from jsonb_to_recordset(${tx.json(decisions)})
          as d(id uuid, priority text, assigned_to uuid, duplicate_of uuid)
        where l.id = d.id`,
      recordTurns(tx, lastAssigned),
    ]);
    return { found: ids, rows, assigned: fresh };
  }) as { found: string[]; rows: OutboxRow[]; assigned: RoutedLead[] };
  await logActivities(sql, assigned.map((r) => assignmentActivity(r, opts.setup.adminEmail)));
  await logPlanned(sql, rows);
  const created = new Map(found.map((id) => [id, [] as OutboxRow[]]));
  for (const row of rows) created.get(row.lead_id!)?.push(row);
  return created;
}

/**
 * New leads' rows within the limits, in order: the on-call phone's hourly cap and quiet hours
 * (paging), each staff member's alert emails in a burst (the staff digest), the forms' CAPTCHA
 * verdicts, then the first-text guard (which counts only the texts still to go).
 */
async function limitNewLeadsRows(
  tx: postgres.TransactionSql,
  rows: NewOutboxRow[],
  opts: {
    leads: Lead[];
    onCall: OnCall;
    settings: BusinessSettings;
    verdicts: ReadonlyMap<string, CaptchaVerdict>;
    now: Date;
  },
): Promise<NewOutboxRow[]> {
  const references = new Map(opts.leads.map((l) => [l.id, l.reference_number]));
  const paged = await limitOnCallPaging(tx, rows, references, opts);
  const alerted = await limitStaffAlerts(tx, paged, references, opts);
  return await limitFirstTexts(tx, textOnlyVerified(alerted, opts.verdicts), {
    perHour: opts.settings.first_texts_per_hour,
    now: opts.now,
  });
}

/** The `lead_assigned` activity: who has the lead, its priority, what it may repeat. */
function assignmentActivity({ facts, assignee, routing }: RoutedLead, adminEmail: string) {
  const who = assignee ? assignee.full_name : `the admin inbox (${maskEmail(adminEmail)})`;
  const notes = [
    routing.priority === "high" ? "high priority" : null,
    routing.duplicateOf ? `possible duplicate of ${routing.duplicateOf.reference_number}` : null,
  ].filter(Boolean);
  return {
    lead_id: facts.lead.id,
    activity_type: "lead_assigned" as const,
    description: `Assigned to ${who}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`,
    metadata: {
      staff_id: assignee?.id ?? null,
      staff_name: assignee?.full_name ?? null,
      priority: routing.priority,
      duplicate_of: routing.duplicateOf?.reference_number ?? null,
    },
  };
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
