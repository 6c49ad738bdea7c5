/**
 * Reads and marks of public.appointments for planning. One exported function per query; each
 * returns the appointment as its messages carry it (public.appointment_snapshot).
 */
import type postgres from "postgres";
import { type Appointment, appointmentFromJson, type AppointmentJson } from "./types.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/** An appointment version to plan messages for. */
export interface AppointmentToPlan {
  leadId: string;
  appointment: Appointment;
}

type Row = { lead_id: string; snapshot: AppointmentJson };

const toPlan = (r: Row): AppointmentToPlan => ({
  leadId: r.lead_id,
  appointment: appointmentFromJson(r.snapshot),
});

/**
 * The appointments of these leads whose current version's confirmation or cancellation is not
 * planned yet, locked until the caller's transaction ends.
 */
export async function lockUnplannedAppointments(
  tx: postgres.TransactionSql,
  leadIds: string[],
): Promise<AppointmentToPlan[]> {
  if (leadIds.length === 0) return [];
  const rows = await tx<Row[]>`
    select a.lead_id, public.appointment_snapshot(a) as snapshot
    from public.appointments a
    where a.lead_id = any (${tx.array(leadIds)}::uuid[])
      and a.planned_version is distinct from a.version
    order by a.lead_id
    for update of a`;
  return rows.map(toPlan);
}

/** Leads whose appointment changed more than `graceSeconds` ago and is still unplanned. */
export async function findUnplannedAppointments(
  sql: Sql,
  graceSeconds: number,
  limit = 500,
): Promise<string[]> {
  const rows = await sql<{ lead_id: string }[]>`
    select lead_id from public.appointments
    where planned_version is distinct from version
      and changed_at < now() - make_interval(secs => ${graceSeconds})
    order by changed_at limit ${limit}`;
  return rows.map((r) => r.lead_id);
}

/**
 * Scheduled appointments starting within `withinMs` whose current version has no reminder
 * yet, locked; rows another instance holds are skipped, so instances share the work.
 */
export async function lockRemindersToPlan(
  tx: postgres.TransactionSql,
  withinMs: number,
  limit: number,
): Promise<AppointmentToPlan[]> {
  const rows = await tx<Row[]>`
    select a.lead_id, public.appointment_snapshot(a) as snapshot
    from public.appointments a
    where a.status = 'scheduled'
      and a.starts_at > now() and a.starts_at <= now() + make_interval(secs => ${withinMs / 1000})
      and a.reminder_version is distinct from a.version
    order by a.starts_at
    limit ${limit}
    for update of a skip locked`;
  return rows.map(toPlan);
}

/** Records that these versions' messages (`planned`) or reminders (`reminder`) are planned. */
export async function markPlanned(
  tx: postgres.TransactionSql,
  which: "planned" | "reminder",
  appointments: Appointment[],
): Promise<void> {
  if (appointments.length === 0) return;
  const versions = appointments.map((a) => ({ id: a.appointment_id, version: a.version }));
  const column = which === "planned" ? "planned_version" : "reminder_version";
  await tx`
    update public.appointments a set ${tx(column)} = v.version
    from jsonb_to_recordset(${tx.json(versions)}) as v(id uuid, version integer)
    where a.id = v.id`;
}
