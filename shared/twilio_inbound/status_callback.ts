/**
 * A status callback, applied: the text's outbox row found by Twilio's SID and locked, its
 * delivery status moved forward, and on its final report (once, however often and in
 * whatever order Twilio posts) the activity, plus what the error code tells us about the
 * number: 21610 an opt-out, 30003/30005/30006 a number that cannot take texts.
 */
import type postgres from "postgres";
import { deliveryActivity, insertActivities } from "../leads/activity_log.ts";
import { applySmsConsentChange } from "../leads/sms_consent.ts";
import { deliveryChange, RECIPIENT_UNSUBSCRIBED, UNREACHABLE_ERRORS } from "./delivery_status.ts";
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

/** Applies one status callback in one transaction. */
export async function applyStatusReport(
  sql: postgres.Sql,
  report: StatusReport,
): Promise<StatusReportResult> {
  return await sql.begin(async (tx) => {
    // Locked, so two copies of one callback are applied one after the other: the second
    // finds the status already moved and changes nothing.
    const [text] = await tx<ReportedMessage[]>`
      select id, key, lead_id, template, recipient, delivery_status
      from public.notifications_outbox
      where provider_message_id = ${report.messageSid} and channel = 'sms'
      for update`;
    if (!text) return "unknown";
    const change = deliveryChange(text.delivery_status, report.status);
    if (!change) return "ignored";
    await tx`update public.notifications_outbox set delivery_status = ${change.status}
             where id = ${text.id}`;
    if (change.final) await onFinalReport(tx, text, report, change.status);
    return "applied";
  }) as StatusReportResult;
}

async function onFinalReport(
  tx: postgres.TransactionSql,
  text: ReportedMessage,
  report: StatusReport,
  status: string,
): Promise<void> {
  const code = status === "delivered" ? null : report.errorCode;
  await insertActivities(tx, [deliveryActivity({
    leadId: text.lead_id,
    outboxKey: text.key,
    template: text.template,
    messageSid: report.messageSid,
    status,
    errorCode: code,
  })]);
  if (code === null || !text.recipient) return;
  if (code === RECIPIENT_UNSUBSCRIBED) {
    await applySmsConsentChange(tx, {
      phone: text.recipient,
      event: "opt_out",
      source: "provider",
      detail: `Twilio ${code}: recipient unsubscribed`,
      leadId: text.lead_id,
    });
  } else if (UNREACHABLE_ERRORS[code]) {
    await tx`
      insert into public.sms_unreachable_phones (phone_e164, error_code, reason, message_sid)
      values (${text.recipient}, ${code}, ${UNREACHABLE_ERRORS[code]}, ${report.messageSid})
      on conflict (phone_e164) do update
        set error_code = excluded.error_code, reason = excluded.reason,
            message_sid = excluded.message_sid, recorded_at = now()`;
  }
}
