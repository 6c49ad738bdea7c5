/**
 * The staff digest (pure): in a burst (a marketing mail-out, a hail storm) a staff member is not
 * sent one email per lead. Each recipient of new-lead alerts gets at most
 * `business_settings.staff_alerts_per_window` (5) of them in any `staff_alert_window_minutes`
 * (10); the alerts past that are suppressed `in_staff_digest (…)` and gathered into one
 * `staff_digest_email`, deferred until the window has passed: the digest still waiting, else a
 * new one keyed to the first lead it gathers. So a recipient gets at most one digest every window,
 * each naming every lead it gathers exactly once. Only these emails are gathered: on-call texts and
 * escalations go as ever.
 */
import type { NewOutboxRow } from "../outbox/store.ts";

/** The email the digest gathers. */
export const STAFF_ALERT_TEMPLATE = "staff_new_lead_email";
/** The email that gathers them. */
export const STAFF_DIGEST_TEMPLATE = "staff_digest_email";
/** Why a digest waits: the window its alerts came in has not passed yet. */
export const STAFF_DIGEST_WAIT = "staff_digest_window";

const MINUTE_MS = 60_000;

/** A lead a digest names (`payload.gathered`). */
export interface GatheredLead {
  lead_id: string;
  reference: string;
}

/** One recipient's window, gathered by the caller under that recipient's lock. */
export interface RecipientWindow {
  /** Alerts to them planned in the last window and not suppressed (gathered ones are). */
  alertsInWindow: number;
  /** Their digest still waiting to go, which more gathered alerts join. */
  waitingDigest: { key: string } | null;
}

/** What the decision needs. */
export interface StaffDigestFacts {
  /** `business_settings.staff_alerts_per_window`. */
  perWindow: number;
  /** `business_settings.staff_alert_window_minutes`. */
  windowMinutes: number;
  /** Each recipient's window; a recipient missing here has an empty one. */
  windows: ReadonlyMap<string, RecipientWindow>;
  now: Date;
}

/** The rows as they are to be written, and the leads to add to each waiting digest (by key). */
export interface StaffDigestPlan {
  rows: NewOutboxRow[];
  joinDigest: Map<string, GatheredLead[]>;
}

/** The reason a gathered alert is suppressed with, e.g. `in_staff_digest (5 per 10 minutes)`. */
export function inStaffDigestReason(perWindow: number, windowMinutes: number): string {
  return `in_staff_digest (${perWindow} per ${windowMinutes} minutes)`;
}

/**
 * Applies each recipient's window to the new-lead alert emails among `rows`, in order (those not
 * already suppressed, with a recipient); other rows pass unchanged. `references` maps lead ids
 * to their Refs. A gathered alert carries its digest's key (`payload.staff_digest`).
 */
export function gatherStaffAlerts(
  rows: readonly NewOutboxRow[],
  references: ReadonlyMap<string, string>,
  facts: StaffDigestFacts,
): StaffDigestPlan {
  const sent = new Map<string, number>();
  const digests = new Map<string, NewOutboxRow>();
  const joinDigest = new Map<string, GatheredLead[]>();
  const out: NewOutboxRow[] = [];
  for (const row of rows) {
    const to = row.recipient;
    if (row.template !== STAFF_ALERT_TEMPLATE || row.status === "suppressed" || !to) {
      out.push(row);
      continue;
    }
    const window = facts.windows.get(to);
    const count = sent.get(to) ?? window?.alertsInWindow ?? 0;
    if (count < facts.perWindow) {
      sent.set(to, count + 1);
      out.push(row);
      continue;
    }
    const lead: GatheredLead = {
      lead_id: row.lead_id ?? "",
      reference: references.get(row.lead_id ?? "") ?? "(unknown)",
    };
    let key: string;
    const waiting = window?.waitingDigest;
    const started = digests.get(to);
    if (waiting) {
      key = waiting.key;
      joinDigest.set(key, [...(joinDigest.get(key) ?? []), lead]);
    } else if (started) {
      key = started.key;
      (started.payload!.gathered as GatheredLead[]).push(lead);
    } else {
      key = `${row.lead_id}:${STAFF_DIGEST_TEMPLATE}`;
      const digest: NewOutboxRow = {
        key,
        lead_id: row.lead_id,
        channel: "email",
        template: STAFF_DIGEST_TEMPLATE,
        recipient: to,
        status: "deferred",
        status_reason: STAFF_DIGEST_WAIT,
        rank: row.rank,
        next_attempt_at: new Date(facts.now.getTime() + facts.windowMinutes * MINUTE_MS),
        payload: { gathered: [lead], window_minutes: facts.windowMinutes },
      };
      digests.set(to, digest);
      out.push(digest);
    }
    out.push({
      ...row,
      status: "suppressed",
      status_reason: inStaffDigestReason(facts.perWindow, facts.windowMinutes),
      next_attempt_at: null,
      payload: { ...row.payload, staff_digest: key },
    });
  }
  return { rows: out, joinDigest };
}
