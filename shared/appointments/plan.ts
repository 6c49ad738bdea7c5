/**
 * Records appointment messages in the outbox: the confirmation, update or cancellation of an
 * appointment's current version (when its webhook or the sweep asks), and its reminder
 * (when send-reminders finds it within reach). The decisions are pure (planMessages,
 * planReminder); this is the transaction around them. Keys carry the appointment's version,
 * so each version's messages are planned once however often anyone asks.
 */
import type postgres from "postgres";
import { planMessages } from "../messages/plan.ts";
import { logPlanned, outboxRows } from "../messages/record.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { insertIfAbsent, type OutboxRow } from "../outbox/store.ts";
import { type LeadForPlanning, lockLeadsForPlanning } from "../leads/lead_store.ts";
import {
  type AppointmentToPlan,
  lockRemindersToPlan,
  lockUnplannedAppointments,
  markPlanned,
} from "./store.ts";
import { appointmentToJson } from "./types.ts";
import { planReminder } from "./reminder_time.ts";

interface PlanOptions {
  setup: MessageSetup;
  now: Date;
}

/** Plans what each appointment calls for, with its lead's facts; writes and marks them. */
async function planAndRecord(
  tx: postgres.TransactionSql,
  which: "planned" | "reminder",
  appointments: AppointmentToPlan[],
  plan: (facts: LeadForPlanning, item: AppointmentToPlan) => ReturnType<typeof planMessages>,
): Promise<OutboxRow[]> {
  if (appointments.length === 0) return [];
  const leads = new Map(
    (await lockLeadsForPlanning(tx, appointments.map((a) => a.leadId))).map((f) => [f.lead.id, f]),
  );
  const rows = appointments.flatMap((item) => {
    const facts = leads.get(item.leadId);
    if (!facts) return [];
    return outboxRows(plan(facts, item), item.leadId, {
      appointment: appointmentToJson(item.appointment),
    });
  });
  const [inserted] = await Promise.all([
    insertIfAbsent(tx, rows),
    markPlanned(tx, which, appointments.map((a) => a.appointment)),
  ]);
  return inserted;
}

/**
 * Plans the confirmation (or update, or cancellation) of these leads' appointments, for the
 * current version of each. Returns the rows added (none when planned before).
 */
export async function planAppointmentNotifications(
  sql: postgres.Sql,
  leadIds: string[],
  opts: PlanOptions,
): Promise<OutboxRow[]> {
  const rows = await sql.begin(async (tx) =>
    planAndRecord(
      tx,
      "planned",
      await lockUnplannedAppointments(tx, leadIds),
      (facts, item) =>
        planMessages(
          item.appointment.status === "scheduled"
            ? "appointment_scheduled"
            : "appointment_cancelled",
          facts.lead,
          { ...facts, setup: opts.setup, now: opts.now, appointment: item.appointment },
        ),
    )
  ) as OutboxRow[];
  await logPlanned(sql, rows);
  return rows;
}

/**
 * How far ahead reminders are planned. A planned reminder waits in the outbox until its time
 * (consent and quiet hours are checked again when it goes; a change of the appointment
 * supersedes it), so the outbox shows when each customer will be reminded.
 */
export const REMINDER_LOOKAHEAD_MS = 96 * 3600_000;

/**
 * Plans the reminders of scheduled appointments within reach, a batch at a time, until none
 * is left or `limit` appointments are handled: each waits in the outbox until its time, or is
 * recorded skipped with its reason. `onPlanned` is told after each batch that committed
 * reminders. Returns how many appointments were handled, and whether more may be left (the
 * limit was reached with a full batch).
 */
export async function planDueReminders(
  sql: postgres.Sql,
  opts: PlanOptions & { batch?: number; limit?: number; onPlanned?: () => void },
): Promise<{ handled: number; more: boolean }> {
  const batch = Math.min(opts.batch ?? 500, opts.limit ?? Infinity);
  let handled = 0;
  for (;;) {
    const { count, rows } = await sql.begin(async (tx) => {
      const due = await lockRemindersToPlan(tx, REMINDER_LOOKAHEAD_MS, batch);
      const rows = await planAndRecord(
        tx,
        "reminder",
        due,
        (facts, item) =>
          planReminder(facts.lead, {
            ...facts,
            setup: opts.setup,
            now: opts.now,
            appointment: item.appointment,
          }),
      );
      return { count: due.length, rows };
    }) as { count: number; rows: OutboxRow[] };
    if (rows.length > 0) opts.onPlanned?.();
    await logPlanned(sql, rows);
    handled += count;
    if (count < batch) return { handled, more: false };
    if (handled >= (opts.limit ?? Infinity)) return { handled, more: true };
  }
}
