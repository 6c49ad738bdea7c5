/**
 * Changes of a phone's SMS consent, applied everywhere at once: consent belongs to the
 * number, so an opt-out is one ledger event, every waiting text to that number suppressed
 * and an activity on every lead that gave the number, in one transaction.
 */
import type postgres from "postgres";
import type { OutboxRow } from "../outbox/store.ts";
import { activityFor, consentActivity, insertActivities } from "./activity_log.ts";

/** One change, as `sms_consent_events` records it. */
export interface SmsConsentChange {
  phone: string;
  event: "opt_out" | "opt_in";
  /** sms_keyword (the customer's text), provider (Twilio 21610) or staff. */
  source: "sms_keyword" | "provider" | "staff";
  /** The text received, or what the provider said. */
  detail: string | null;
  /** The lead the change came with (the phone's latest lead for a text). */
  leadId: string | null;
}

/**
 * Records the change inside `tx`. An opt-out suppresses the number's waiting texts (`pending`,
 * `retry`, `deferred`) with reason `opted_out`; a text being sent right now is stopped by the
 * drain, which asks for consent again before each send. Returns the rows suppressed.
 */
export async function applySmsConsentChange(
  tx: postgres.TransactionSql,
  change: SmsConsentChange,
): Promise<OutboxRow[]> {
  const [, suppressed, leads] = await Promise.all([
    tx`insert into public.sms_consent_events (phone_e164, event, source, detail, lead_id)
       values (${change.phone}, ${change.event}, ${change.source}, ${change.detail},
               ${change.leadId})`,
    change.event === "opt_out"
      ? tx<OutboxRow[]>`
          update public.notifications_outbox
          set status = 'suppressed', status_reason = 'opted_out', lease_until = null
          where channel = 'sms' and recipient = ${change.phone}
            and status in ('pending', 'retry', 'deferred')
          returning *`
      : Promise.resolve([] as OutboxRow[]),
    tx<{ id: string }[]>`select id from public.leads where phone_e164 = ${change.phone}`,
  ]);
  const leadIds = leads.length > 0 ? leads.map((l) => l.id) : [null];
  await insertActivities(tx, [
    ...leadIds.map((leadId) =>
      consentActivity({ ...change, leadId: leadId ?? change.leadId, suppressed: suppressed.length })
    ),
    ...suppressed.flatMap((row) =>
      activityFor({ row, kind: "suppressed", reason: "opted_out" }) ?? []
    ),
  ]);
  return suppressed;
}

/** Records an opt-out Twilio told us about when a send was refused (21610). */
export async function recordProviderOptOut(
  sql: postgres.Sql,
  phone: string,
  leadId: string | null,
): Promise<void> {
  await sql.begin((tx) =>
    applySmsConsentChange(tx, {
      phone,
      event: "opt_out",
      source: "provider",
      detail: "Twilio 21610: recipient unsubscribed",
      leadId,
    })
  );
}
