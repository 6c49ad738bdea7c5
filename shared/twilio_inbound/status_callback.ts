/**
 * A status callback, applied: the text's outbox row found by Twilio's SID, its delivery
 * status moved forward, and on its final report (once, however often and in whatever order
 * Twilio posts) the activity, plus what the error code tells us about the number: 21610 an
 * opt-out, 30003/30005/30006 a number that cannot take texts.
 *
 * Twilio posts two or three callbacks for every text we send, so this is the busiest path of
 * the product: a report is read, then written in one statement that moves the status only if
 * nobody moved it since (compare and set) and logs the activity with it. Two copies of one
 * report racing thus apply once: the loser finds the status moved, reads it again and sees
 * nothing left to change.
 */
import type postgres from "postgres";
import { deliveryActivity, insertActivityIf } from "../leads/activity_log.ts";
import { applySmsConsentChange } from "../leads/sms_consent.ts";
import {
  type DeliveryChange,
  deliveryChange,
  RECIPIENT_UNSUBSCRIBED,
  UNREACHABLE_ERRORS,
} from "./delivery_status.ts";
import type { ReportedMessage } from "../outbox/store.ts";

/** The fields of Twilio's status callback we read. */
export interface StatusReport {
  messageSid: string;
  status: string;
  /** `ErrorCode`, on undelivered and failed texts. */
  errorCode: number | null;
}

/** What a report did: `unknown` (no text of ours has that SID), `ignored` or `applied`. */
export type StatusReportResult = "unknown" | "ignored" | "applied";

/** Applies one status callback, atomically. */
export async function applyStatusReport(
  sql: postgres.Sql,
  report: StatusReport,
): Promise<StatusReportResult> {
  // Each lost race means the status moved forward, and it moves at most a few steps: this
  // ends.
  while (true) {
    const [text] = await sql<ReportedMessage[]>`
      select id, key, lead_id, template, recipient, delivery_status
      from public.notifications_outbox
      where provider_message_id = ${report.messageSid} and channel = 'sms'`;
    if (!text) return "unknown";
    const change = deliveryChange(text.delivery_status, report.status);
    if (!change) return "ignored";
    const code = change.final && change.status !== "delivered" ? report.errorCode : null;
    const moved = code === RECIPIENT_UNSUBSCRIBED && text.recipient
      ? await sql.begin(async (tx) => {
        const moved = await moveStatus(tx, text, report, change, code);
        if (moved) {
          await applySmsConsentChange(tx, {
            phone: text.recipient!,
            event: "opt_out",
            source: "provider",
            detail: `Twilio ${code}: recipient unsubscribed`,
            leadId: text.lead_id,
          });
        }
        return moved;
      }) as boolean
      : await moveStatus(sql, text, report, change, code);
    if (moved) return "applied";
  }
}

/**
 * One statement: the status moved from what `text` was read with, and on a final report the
 * activity and a number found unable to take texts. False when the status had moved since.
 */
async function moveStatus(
  sql: postgres.Sql | postgres.TransactionSql,
  text: ReportedMessage,
  report: StatusReport,
  change: DeliveryChange,
  code: number | null,
): Promise<boolean> {
  const activity = change.final
    ? deliveryActivity({
      leadId: text.lead_id,
      outboxKey: text.key,
      template: text.template,
      messageSid: report.messageSid,
      status: change.status,
      errorCode: code,
    })
    : null;
  const unreachable = code !== null && text.recipient ? UNREACHABLE_ERRORS[code] : undefined;
  const [{ moved }] = await sql`
    with moved as (
      update public.notifications_outbox set delivery_status = ${change.status}
      where id = ${text.id} and delivery_status is not distinct from ${text.delivery_status}::text
      returning id
    )${activity ? sql`, logged as (${insertActivityIf(sql, activity, "moved")})` : sql``}${
    unreachable
      ? sql`, unreachable as (
      insert into public.sms_unreachable_phones (phone_e164, error_code, reason, message_sid)
      select ${text.recipient}::text, ${code}::int, ${unreachable}::text, ${report.messageSid}::text
      from moved
      on conflict (phone_e164) do update
        set error_code = excluded.error_code, reason = excluded.reason,
            message_sid = excluded.message_sid, recorded_at = now()
    )`
      : sql``
  }
    select count(*)::int as moved from moved`;
  return moved > 0;
}
