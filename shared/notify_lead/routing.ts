/**
 * Who hears of new leads (pure): each lead's priority, the staff member whose turn it is, who
 * is on call, and the earlier lead it may repeat. The planning transaction holds the roster's
 * rows locked while it calls this and stores the result, so turns are fair across restarts and
 * concurrent leads.
 */
import { calculateLeadPriority } from "../compliance/priority.ts";
import { assignRoundRobin, onCallMember, type RosterMember } from "../leads/assignment.ts";
import type { LeadForPlanning } from "../leads/lead_store.ts";
import type { LeadRouting } from "../messages/kinds.ts";
import type { OnCall } from "./paging_store.ts";

/** One lead's routing and what is stored on it. */
export interface RoutedLead {
  facts: LeadForPlanning;
  routing: LeadRouting;
  /** The member whose turn it was; null: the admin inbox. */
  assignee: RosterMember | null;
}

/** Options for {@linkcode routeLeads}. */
export interface RouteOptions {
  now: Date;
  /** `STAFF_ON_CALL_PHONE`: texted instead of the roster's on-call person when set. */
  onCallPhone?: string;
}

/**
 * Who is paged at `now`: `STAFF_ON_CALL_PHONE` when set (nobody on the roster), else the
 * roster's on-call member on shift.
 */
export function onCallOf(roster: readonly RosterMember[], opts: RouteOptions): OnCall {
  if (opts.onCallPhone) return { phone: opts.onCallPhone, member: null };
  const member = onCallMember(roster, opts.now);
  return { phone: member?.phone_e164 ?? null, member };
}

/**
 * Routes leads planned together. Leads planned before keep what was stored (their priority and
 * assignee); new ones take turns in the order they came in.
 */
export function routeLeads(
  leads: readonly LeadForPlanning[],
  roster: readonly RosterMember[],
  opts: RouteOptions,
): { routed: RoutedLead[]; lastAssigned: Map<string, Date> } {
  const fresh = leads.filter((f) => !f.plannedBefore)
    .toSorted((a, b) =>
      a.lead.created_at.getTime() - b.lead.created_at.getTime() ||
      a.lead.id.localeCompare(b.lead.id)
    );
  const { picks, lastAssigned } = assignRoundRobin(roster, fresh.length, opts.now);
  const picked = new Map(fresh.map((f, i) => [f.lead.id, picks[i]]));
  const onCallPhone = onCallOf(roster, opts).phone;
  const routed = leads.map((facts): RoutedLead => {
    const { lead } = facts;
    const assignee = facts.plannedBefore
      ? roster.find((m) => m.id === lead.assigned_to) ?? null
      : picked.get(lead.id) ?? null;
    const duplicateOf = facts.plannedBefore
      ? (lead.duplicate_of && lead.duplicate_of_reference
        ? { id: lead.duplicate_of, reference_number: lead.duplicate_of_reference }
        : null)
      : facts.earlierLead;
    return {
      facts,
      assignee,
      routing: {
        priority: lead.priority ??
          calculateLeadPriority(lead, { mediaCount: facts.mediaCount, now: opts.now }),
        assigneeEmail: assignee?.email ?? null,
        onCallPhone,
        duplicateOf,
      },
    };
  });
  return { routed, lastAssigned };
}
