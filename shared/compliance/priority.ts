/**
 * Lead priority (docs/plan.md §4.2): a high-priority lead is flagged in the staff alert, the CRM
 * payload and the Slack message.
 */
import { TZDate } from "@date-fns/tz";
import type { Lead } from "../leads/types.ts";

/** `"high"` when the score reaches {@linkcode HIGH_PRIORITY_SCORE}. */
export type LeadPriority = "high" | "normal";

/** Score from which a lead is high priority. */
export const HIGH_PRIORITY_SCORE = 5;

// Compared after lowercasing and dropping everything but letters and digits, so
// "Mercedes-Benz", "mercedes benz" and "Mercedes" all count.
const PREMIUM_MAKES = new Set(["bmw", "mercedesbenz", "mercedes", "audi", "lexus", "tesla"]);

const URGENT_WITHIN_HOURS = 48;

/** Options for {@linkcode calculateLeadPriority}. */
export interface LeadPriorityOptions {
  /** How many photos the customer uploaded with the lead. */
  mediaCount: number;
  /** The moment of the decision (injected so the result does not depend on the clock). */
  now: Date;
  /**
   * Zone in which the preferred date's midnight is taken. Default: the customer's
   * (`leads.time_zone`).
   */
  timeZone?: string;
}

function isPremiumMake(make: string | null): boolean {
  if (!make) return false;
  return PREMIUM_MAKES.has(make.toLowerCase().replace(/[^a-z0-9]/g, ""));
}

function hoursUntilPreferredDate(preferredDate: string, now: Date, timeZone: string): number {
  const [year, month, day] = preferredDate.split("-").map(Number);
  const startOfDay = new TZDate(year, month - 1, day, timeZone);
  return (startOfDay.getTime() - now.getTime()) / 3_600_000;
}

/**
 * Scores a lead as the plan does: replacement 3 (any other service 1), photos 2, preferred
 * date starting within 48 hours (or already past) 2, mobile service 1, premium make 1;
 * 5 or more is high priority. A lead without a preferred date gets no urgency points.
 */
export function calculateLeadPriority(lead: Lead, options: LeadPriorityOptions): LeadPriority {
  const timeZone = options.timeZone ?? lead.time_zone;
  let score = lead.service_type === "replacement" ? 3 : 1;
  if (options.mediaCount > 0) score += 2;
  if (
    lead.preferred_date !== null &&
    hoursUntilPreferredDate(lead.preferred_date, options.now, timeZone) < URGENT_WITHIN_HOURS
  ) {
    score += 2;
  }
  if (lead.mobile_service) score += 1;
  if (isPremiumMake(lead.vehicle_make)) score += 1;
  return score >= HIGH_PRIORITY_SCORE ? "high" : "normal";
}
