/**
 * The paging limits' side of a planning transaction (the decision is paging.ts): the on-call
 * phone is locked for the transaction, so concurrent planners (new leads, the sweep's
 * escalations) count its last hour one after another and never both take the last page.
 */
import type postgres from "postgres";
import { quietUntil } from "../leads/business_hours.ts";
import type { RosterMember } from "../leads/assignment.ts";
import type { BusinessSettings } from "../leads/types.ts";
import type { NewOutboxRow } from "../outbox/store.ts";
import { DIGEST_TEMPLATE, limitPaging, PAGING_TEMPLATES } from "./paging.ts";
import { joinDigest, lockWaitingDigest, plannedWithin } from "./digest_store.ts";

const COUNTED = [...PAGING_TEMPLATES, DIGEST_TEMPLATE];

/** Who is paged: the on-call phone, and the roster member it belongs to (null: STAFF_ON_CALL_PHONE). */
export interface OnCall {
  phone: string | null;
  member: RosterMember | null;
}

/**
 * `rows` with the on-call phone's hourly cap and quiet hours applied (see limitPaging); pages
 * held back join the digest already waiting. `references` maps lead ids to their Refs.
 */
export async function limitOnCallPaging(
  tx: postgres.TransactionSql,
  rows: NewOutboxRow[],
  references: ReadonlyMap<string, string>,
  opts: {
    onCall: OnCall;
    settings: Pick<BusinessSettings, "on_call_sms_hourly_cap" | "business_hours" | "time_zone">;
    now: Date;
  },
): Promise<NewOutboxRow[]> {
  const phone = opts.onCall.phone;
  if (!phone || !rows.some((r) => PAGING_TEMPLATES.includes(r.template))) return rows;
  await tx`select pg_advisory_xact_lock(hashtext(${`leadwire:on_call:${phone}`}))`;
  const [hour, digest] = await Promise.all([
    plannedWithin(tx, phone, COUNTED, opts.now, 60),
    lockWaitingDigest(tx, phone, DIGEST_TEMPLATE),
  ]);
  const member = opts.onCall.member;
  const paging = limitPaging(rows, references, {
    phone,
    cap: opts.settings.on_call_sms_hourly_cap,
    pagedLastHour: hour.count,
    earliestInHour: hour.earliest,
    waitingDigest: digest,
    quietUntil: quietUntil(
      opts.now,
      member?.quiet_hours_start && member.quiet_hours_end
        ? {
          start: member.quiet_hours_start,
          end: member.quiet_hours_end,
          timeZone: member.time_zone,
        }
        : null,
      { hours: opts.settings.business_hours, timeZone: opts.settings.time_zone },
    ),
    now: opts.now,
  });
  if (digest && paging.joinDigest.length > 0) {
    await joinDigest(tx, digest.key, "held_back", paging.joinDigest);
  }
  return paging.rows;
}
