/**
 * How often the on-call phone is paged (pure). A form anyone can fill in must not let anyone
 * ring a staff member's phone all night: texts to the on-call phone (high-priority leads,
 * escalations) are capped per hour, and those over the cap are gathered into one digest text
 * that goes when the hour has room. Their emails go as usual. While the on-call person is in
 * their quiet hours and the shop is closed, their texts wait.
 */
import type { NewOutboxRow } from "../outbox/store.ts";

/** The texts that page the on-call phone, each counting toward the hourly cap. */
export const PAGING_TEMPLATES: readonly string[] = ["staff_on_call_sms", "staff_escalation_sms"];
/** The text that gathers the pages held back. */
export const DIGEST_TEMPLATE = "staff_on_call_digest_sms";

const HOUR_MS = 3600_000;

/** A page held back by the cap, as the digest names it. */
export interface HeldBackPage {
  reference: string;
  why: "high_priority" | "escalation";
}

/** What the decision needs, gathered by the caller under the phone's lock. */
export interface PagingFacts {
  phone: string;
  /** `business_settings.on_call_sms_hourly_cap`. */
  cap: number;
  /** Texts to `phone` planned in the last hour (the digest included, suppressed ones not). */
  pagedLastHour: number;
  /** When the earliest of those was planned: the hour has room an hour after it. */
  earliestInHour: Date | null;
  /** The digest still waiting to go to `phone`, which more held-back pages join. */
  waitingDigest: { key: string } | null;
  /** Set while the on-call person's texts must wait (their quiet hours, the shop closed). */
  quietUntil: Date | null;
  now: Date;
}

/** The rows as they are to be written, and the pages to add to the waiting digest. */
export interface Paging {
  rows: NewOutboxRow[];
  joinDigest: HeldBackPage[];
}

/**
 * Applies the cap and the quiet hours to the paging texts among `rows` (those to `facts.phone`
 * that are not already suppressed), in order; other rows pass unchanged. Within the cap a page
 * goes (or waits for the quiet hours to end); over it, it is suppressed `on_call_hourly_cap (N
 * per hour)` and held for the digest: the waiting one, else a new one, keyed to the first lead
 * held back and deferred until the hour has room.
 */
export function limitPaging(
  rows: readonly NewOutboxRow[],
  references: ReadonlyMap<string, string>,
  facts: PagingFacts,
): Paging {
  let paged = facts.pagedLastHour;
  const earliest = facts.earliestInHour ?? facts.now;
  const joinDigest: HeldBackPage[] = [];
  let digest: NewOutboxRow | null = null;
  const out: NewOutboxRow[] = [];
  for (const row of rows) {
    if (
      !PAGING_TEMPLATES.includes(row.template) || row.recipient !== facts.phone ||
      row.status === "suppressed"
    ) {
      out.push(row);
      continue;
    }
    if (paged < facts.cap) {
      paged++;
      out.push(
        facts.quietUntil && row.status !== "deferred"
          ? {
            ...row,
            status: "deferred",
            status_reason: "staff_quiet_hours",
            next_attempt_at: facts.quietUntil,
          }
          : row,
      );
      continue;
    }
    out.push({
      ...row,
      status: "suppressed",
      status_reason: `on_call_hourly_cap (${facts.cap} per hour)`,
      next_attempt_at: null,
    });
    const page: HeldBackPage = {
      reference: references.get(row.lead_id ?? "") ?? "(unknown)",
      why: row.template === "staff_escalation_sms" ? "escalation" : "high_priority",
    };
    if (facts.waitingDigest) {
      joinDigest.push(page);
    } else if (digest) {
      (digest.payload!.held_back as HeldBackPage[]).push(page);
    } else {
      const roomAt = new Date(Math.max(earliest.getTime() + HOUR_MS, facts.now.getTime()));
      const sendAt = facts.quietUntil && facts.quietUntil > roomAt ? facts.quietUntil : roomAt;
      digest = {
        key: `${row.lead_id}:${DIGEST_TEMPLATE}`,
        lead_id: row.lead_id,
        channel: "sms",
        template: DIGEST_TEMPLATE,
        recipient: facts.phone,
        status: "deferred",
        status_reason: "on_call_hourly_cap",
        rank: row.rank,
        next_attempt_at: sendAt,
        payload: { held_back: [page] },
      };
      out.push(digest);
    }
  }
  return { rows: out, joinDigest };
}
