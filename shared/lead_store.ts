/** Reads of leads and what the messages about them need. One exported function per query. */
import type postgres from "postgres";
import type { BusinessSettings, Lead, Media } from "./types.ts";
import type { SmsConsentState } from "./messages/plan_new_lead.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

export async function loadLeads(sql: Sql, ids: string[]): Promise<Map<string, Lead>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<Lead[]>`
    select id, reference_number, created_at, first_name, last_name, email, phone_e164, vehicle_year,
           vehicle_make, vehicle_model, service_type, mobile_service, preferred_date::text as preferred_date,
           address, city, state, zip, notes, sms_consent, sms_consent_at, sms_consent_source, source_form
    from public.leads where id = any (${sql.array(ids)}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** Locks the lead while its messages are planned, so two planners cannot interleave. */
export async function lockLead(sql: Sql, id: string): Promise<Lead | undefined> {
  const [row] = await sql<
    { id: string }[]
  >`select id from public.leads where id = ${id} for update`;
  if (!row) return undefined;
  return (await loadLeads(sql, [id])).get(id);
}

export async function loadMediaByLead(sql: Sql, leadIds: string[]): Promise<Map<string, Media[]>> {
  const byLead = new Map<string, Media[]>();
  if (leadIds.length === 0) return byLead;
  const rows = await sql<Media[]>`
    select id, lead_id, bucket, object_path, content_type, size_bytes
    from public.media where lead_id = any (${sql.array(leadIds)}::uuid[]) order by created_at`;
  for (const row of rows) byLead.set(row.lead_id, [...(byLead.get(row.lead_id) ?? []), row]);
  return byLead;
}

export async function loadBusinessSettings(sql: Sql): Promise<BusinessSettings> {
  const [row] = await sql<BusinessSettings[]>`
    select business_name, phone_display, phone_e164, postal_address, website_url, reply_to_email,
           time_zone, sms_window_start_hour, sms_window_end_hour, sms_daily_cap
    from public.business_settings`;
  if (!row) {
    throw new Error(
      "Cannot send notifications: public.business_settings has no row (see supabase/seed.sql)",
    );
  }
  return row;
}

/** The latest consent word per phone number. */
export async function loadSmsConsent(
  sql: Sql,
  phones: string[],
): Promise<Map<string, SmsConsentState>> {
  const result = new Map<string, SmsConsentState>();
  if (phones.length === 0) return result;
  const rows = await sql<{ phone_e164: string; may_text: boolean }[]>`
    select phone_e164, may_text from public.sms_consent_status where phone_e164 = any (${
    sql.array(phones)
  }::text[])`;
  for (const row of rows) result.set(row.phone_e164, row.may_text ? "opted_in" : "opted_out");
  return result;
}

/** How many SMS each phone was sent in the last 24 hours (for the daily cap). */
export async function countSmsSentLastDay(
  sql: Sql,
  phones: string[],
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  if (phones.length === 0) return result;
  const rows = await sql<{ recipient: string; n: number }[]>`
    select recipient, count(*)::int as n from public.notifications_outbox
    where channel = 'sms' and status = 'sent' and sent_at > now() - interval '24 hours'
      and recipient = any (${sql.array(phones)}::text[])
    group by recipient`;
  for (const row of rows) result.set(row.recipient, row.n);
  return result;
}

/** Records an opt-out the provider told us about (Twilio 21610), for every lead with that phone. */
export async function recordProviderOptOut(sql: Sql, phone: string, leadId: string | null) {
  await sql`
    insert into public.sms_consent_events (phone_e164, event, source, detail, lead_id)
    values (${phone}, 'opt_out', 'provider', 'Twilio 21610: recipient unsubscribed', ${leadId})`;
}
