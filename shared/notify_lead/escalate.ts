/**
 * Speed-to-lead escalation, run by the sweep: a lead nobody has acted on (STAFF_ACTION_TYPES)
 * by its deadline (escalationDueAt: `escalation_minutes` of opening hours after it came in) is
 * escalated once, to the on-call person by SMS and to the admin inbox by email; at most
 * `escalations_per_sweep` a sweep and `escalations_per_hour` an hour (the rest wait their turn),
 * and the texts within the on-call phone's hourly cap (paging.ts). Once is the
 * outbox keys' doing (insert-if-absent) and `leads.escalated_at`, written in the same
 * transaction under the lead's lock: two sweeps never escalate a lead twice.
 */
import type postgres from "postgres";
import { escalationDueAt } from "../leads/business_hours.ts";
import { loadBusinessSettings, lockLeadsForPlanning } from "../leads/lead_store.ts";
import { loadRoster } from "../leads/staff_store.ts";
import { logActivities } from "../leads/activity_log.ts";
import { STAFF_ACTION_TYPES } from "../leads/types.ts";
import { storedRouting } from "../messages/kinds.ts";
import { planMessages } from "../messages/plan.ts";
import { logPlanned, outboxRows } from "../messages/record.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { insertIfAbsent, type OutboxRow } from "../outbox/store.ts";
import { waitedFor } from "../../templates/wording.ts";
import { onCallOf } from "./routing.ts";
import { limitOnCallPaging } from "./paging_store.ts";

/** Leads older than this are history, not waiting customers: a first deploy escalates none. */
const LOOK_BACK_DAYS = 4;

/** Escalates the leads whose deadline has passed at `now`; returns the messages planned. */
export async function planEscalations(
  sql: postgres.Sql,
  opts: { setup: MessageSetup; now: Date },
): Promise<OutboxRow[]> {
  const { rows, escalated } = await sql.begin(async (tx) => {
    // One sweep at a time counts the hour's escalations.
    await tx`select pg_advisory_xact_lock(hashtext('leadwire:escalations'))`;
    const [settings, [{ lastHour }]] = await Promise.all([
      loadBusinessSettings(tx),
      tx<{ lastHour: number }[]>`
        select count(*)::int as "lastHour" from public.leads
        where escalated_at > ${opts.now}::timestamptz - interval '1 hour'
          and escalated_at <= ${opts.now}`,
    ]);
    // A backlog goes newest first, a batch a sweep, within the hour's cap: the lead that came
    // in 15 minutes ago can still be won: the odds of reaching a lead are 100 times lower at
    // 30 minutes than at 5 (Lead Response Management study, MIT/InsideSales, 2007).
    const batch = Math.min(
      settings.escalations_per_sweep,
      settings.escalations_per_hour - lastHour,
    );
    if (batch <= 0) return { rows: [] as OutboxRow[], escalated: [] };
    // Necessary, not sufficient: the clock may have started later, at opening time. Read
    // whole (ids and times only), so leads not yet due can never hide due ones behind a limit.
    const waiting = await tx<{ id: string; created_at: Date }[]>`
      select l.id, l.created_at from public.leads l
      where l.escalated_at is null and l.notifications_planned_at is not null
        and l.duplicate_of is null
        and l.created_at > ${opts.now}::timestamptz - make_interval(days => ${LOOK_BACK_DAYS})
        and l.created_at <= ${opts.now}::timestamptz
          - make_interval(mins => ${settings.escalation_minutes})
        and not exists (
          select from public.lead_activities a
          where a.lead_id = l.id and a.activity_type = any (${tx.array([...STAFF_ACTION_TYPES])}))
      order by l.created_at desc`;
    const dueIds = waiting.filter((l) =>
      escalationDueAt(
        l.created_at,
        settings.business_hours ?? {},
        settings.time_zone,
        settings.escalation_minutes,
      ) <= opts.now
    ).slice(0, batch).map((l) => l.id);
    if (dueIds.length === 0) return { rows: [] as OutboxRow[], escalated: [] };
    // Locked and checked again: a concurrent sweep escalating the same leads skips them here.
    const due = await tx<{ id: string }[]>`
      select id from public.leads
      where id = any (${tx.array(dueIds)}::uuid[]) and escalated_at is null
      order by id for no key update skip locked`;
    if (due.length === 0) return { rows: [] as OutboxRow[], escalated: [] };
    const leads = await lockLeadsForPlanning(tx, due.map((l) => l.id));
    const roster = await loadRoster(tx);
    const onCall = onCallOf(roster, { now: opts.now, onCallPhone: opts.setup.onCallPhone });
    const onCallPhone = onCall.phone;
    const planned = leads.flatMap((facts) =>
      outboxRows(
        planMessages("lead_escalated", facts.lead, {
          ...facts,
          setup: opts.setup,
          now: opts.now,
          routing: { ...storedRouting(facts.lead), onCallPhone },
        }),
        facts.lead.id,
      )
    );
    const paged = await limitOnCallPaging(
      tx,
      planned,
      new Map(leads.map((f) => [f.lead.id, f.lead.reference_number])),
      { onCall, settings, now: opts.now },
    );
    const [rows] = await Promise.all([
      insertIfAbsent(tx, paged),
      tx`update public.leads set escalated_at = ${opts.now}
         where id = any (${tx.array(leads.map((f) => f.lead.id))}::uuid[])`,
    ]);
    return { rows, escalated: leads.map((f) => f.lead) };
  });
  await logActivities(
    sql,
    escalated.map((lead) => {
      const waited = opts.now.getTime() - lead.created_at.getTime();
      return {
        lead_id: lead.id,
        activity_type: "lead_escalated" as const,
        description: `Escalated: no staff action after ${waitedFor(waited)}`,
        metadata: { waited_seconds: Math.round(waited / 1000), assigned_to: lead.assigned_to },
      };
    }),
  );
  await logPlanned(sql, rows);
  return rows;
}
