/**
 * Who gets a new lead: round robin over the staff on shift, least recently assigned first, and
 * who is paged for a high-priority one. Pure: the caller locks the roster rows, calls these and
 * stores each pick's new `last_assigned_at`, so the order survives restarts and concurrent leads.
 */
import { isOpenAt, type WeeklyHours } from "./business_hours.ts";

/** A `staff_members` row as assignment reads it. */
export interface RosterMember {
  id: string;
  full_name: string;
  email: string | null;
  phone_e164: string | null;
  receives_lead_alerts: boolean;
  on_call: boolean;
  active: boolean;
  /** IANA zone the member's `working_hours` are read in. */
  time_zone: string;
  /** The member's shift; null when none is recorded, which means always available. */
  working_hours: WeeklyHours | null;
  /** When the member was last given a lead; null for someone never assigned one. */
  last_assigned_at: Date | null;
  /** "HH:MM" in `time_zone` from which they are not texted while the shop is closed; null: never. */
  quiet_hours_start: string | null;
  /** "HH:MM" when their quiet hours end (may be past midnight). */
  quiet_hours_end: string | null;
}

/** What {@linkcode assignRoundRobin} decided for one batch of leads. */
export interface RoundRobinResult {
  /** One per lead, in order: the member it goes to, or null for the admin inbox. */
  picks: (RosterMember | null)[];
  /** The new `last_assigned_at` of each member picked, to store with the assignment. */
  lastAssigned: Map<string, Date>;
}

/** Whether `instant` is within the member's shift in their own zone (always, with no shift). */
export function isOnShift(member: RosterMember, instant: Date): boolean {
  return member.working_hours === null ||
    isOpenAt(member.working_hours, member.time_zone, instant);
}

/**
 * Hands `count` leads arriving together to the eligible members (active, receiving lead alerts,
 * with an email, on shift at `now`) in round robin: each lead to the one assigned least recently
 * (never assigned first; ties by full name, then id), who then goes to the back of the line.
 * A lead is null when nobody is eligible: the caller sends it to the admin inbox.
 */
export function assignRoundRobin(
  roster: readonly RosterMember[],
  count: number,
  now: Date,
): RoundRobinResult {
  const eligible = roster.filter((m) =>
    m.active && m.receives_lead_alerts && m.email !== null && isOnShift(m, now)
  );
  const lastAssigned = new Map<string, Date>();
  const assignedAt = (m: RosterMember) => lastAssigned.get(m.id) ?? m.last_assigned_at;
  // Not just `now`: a clock behind a stored stamp, or several picks in one millisecond, must still
  // send each pick behind everyone on the roster.
  let latest = roster.reduce(
    (max, m) => Math.max(max, m.last_assigned_at?.getTime() ?? -Infinity),
    -Infinity,
  );
  const picks: (RosterMember | null)[] = [];
  for (let i = 0; i < count; i++) {
    const next = [...eligible].sort((a, b) =>
      compareAssigned(assignedAt(a), assignedAt(b)) || compareNames(a, b)
    )[0] ?? null;
    if (next !== null) {
      latest = Math.max(now.getTime(), latest + 1);
      lastAssigned.set(next.id, new Date(latest));
    }
    picks.push(next);
  }
  return { picks, lastAssigned };
}

/**
 * The member paged for a high-priority lead: active, on call and with a phone; someone on shift
 * at `now` before someone off shift, then by full name. Null when nobody is on call.
 */
export function onCallMember(roster: readonly RosterMember[], now: Date): RosterMember | null {
  const candidates = roster.filter((m) => m.active && m.on_call && m.phone_e164 !== null);
  const offShift = (m: RosterMember) => (isOnShift(m, now) ? 0 : 1);
  return candidates.sort((a, b) => offShift(a) - offShift(b) || compareNames(a, b))[0] ?? null;
}

/** Never assigned before any date, then oldest first. */
function compareAssigned(a: Date | null, b: Date | null): number {
  if (a === null || b === null) return (a === null ? 0 : 1) - (b === null ? 0 : 1);
  return a.getTime() - b.getTime();
}

function compareNames(a: RosterMember, b: RosterMember): number {
  return a.full_name.localeCompare(b.full_name, "en") || a.id.localeCompare(b.id, "en");
}
