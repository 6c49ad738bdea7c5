/**
 * The staff roster as assignment and staff messages read it, and the record of whose turn it
 * was. Hours that do not parse are logged and read so that a typo in the dashboard never stops
 * a lead from being alerted: the admin inbox gets what a misconfigured member would have.
 */
import type postgres from "postgres";
import { parseWeeklyHours, type WeeklyHours } from "./business_hours.ts";
import type { RosterMember } from "./assignment.ts";
import { maskPII } from "../platform/mask.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/**
 * Stored hours as {@linkcode WeeklyHours}; null when none are kept; `unreadable` when they do
 * not parse (logged).
 */
export function storedHours(
  value: unknown,
  whose: string,
  unreadable: WeeklyHours | null,
): WeeklyHours | null {
  if (value === null || value === undefined) return null;
  try {
    return parseWeeklyHours(value);
  } catch (err) {
    console.warn(maskPII(`${whose}: ${(err as Error).message}`));
    return unreadable;
  }
}

/**
 * The active roster. With `lock`, its rows stay locked until the transaction ends: whoever
 * plans leads meanwhile waits, so two concurrent leads never both see the same person's turn.
 */
export async function loadRoster(sql: Sql, opts: { lock?: boolean } = {}): Promise<RosterMember[]> {
  const rows = await sql<(Omit<RosterMember, "working_hours"> & { working_hours: unknown })[]>`
    select id, full_name, email, phone_e164, receives_lead_alerts, on_call, active, time_zone,
      working_hours, last_assigned_at,
      to_char(quiet_hours_start, 'HH24:MI') as quiet_hours_start,
      to_char(quiet_hours_end, 'HH24:MI') as quiet_hours_end
    from public.staff_members where active order by id
    ${opts.lock ? sql`for update` : sql``}`;
  return rows.map((r) => ({
    ...r,
    // Unreadable hours take no turns (rather than every turn, day and night).
    working_hours: storedHours(
      r.working_hours,
      `staff_members.working_hours of ${r.full_name} (no leads until fixed)`,
      {},
    ),
  }));
}

/** Stores each picked member's new turn. */
export async function recordTurns(sql: Sql, lastAssigned: Map<string, Date>): Promise<void> {
  if (lastAssigned.size === 0) return;
  const turns = [...lastAssigned].map(([id, at]) => ({ id, at: at.toISOString() }));
  await sql`
    update public.staff_members s set last_assigned_at = t.at
    from jsonb_to_recordset(${sql.json(turns)}) as t(id uuid, at timestamptz)
    where s.id = t.id`;
}
