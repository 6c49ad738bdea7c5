/** Reads of leads and what the messages about them need. One exported function per query. */
import type postgres from "postgres";
import type { BusinessSettings, InboundSms, Lead, Media, UnreachablePhone } from "./types.ts";
import type { PhoneConsent } from "../compliance/sms_eligibility.ts";
import type { SmsSpend } from "../compliance/sms_budget.ts";
import { storedHours } from "./staff_store.ts";

type Sql = postgres.Sql | postgres.TransactionSql;

/** The columns of a Lead, from `public.leads` aliased `l`. */
function leadColumns(sql: Sql) {
  return sql`id, reference_number, created_at, first_name, last_name, email, phone_e164,
    vehicle_year, vehicle_make, vehicle_model, service_type, mobile_service,
    preferred_date::text as preferred_date, address, city, state, zip, time_zone, also_time_zones,
    notes, sms_consent,
    sms_consent_at, sms_consent_source, source_form, priority, assigned_to,
    (select s.full_name from public.staff_members s where s.id = l.assigned_to) as assigned_to_name,
    duplicate_of,
    (select d.reference_number from public.leads d where d.id = l.duplicate_of)
      as duplicate_of_reference`;
}

function settingsColumns(sql: Sql) {
  return sql`business_name, phone_display, phone_e164, postal_address, website_url,
    reply_to_email, time_zone, sms_window_start_hour, sms_window_end_hour, sms_daily_cap,
    business_hours, escalation_minutes, duplicate_window_minutes, on_call_sms_hourly_cap,
    escalations_per_sweep, escalations_per_hour, first_texts_per_hour, staff_alerts_per_window,
    staff_alert_window_minutes`;
}

function unreachableColumns(sql: Sql) {
  return sql`phone_e164, error_code, reason`;
}

/** The day's SMS spend and budget (public.sms_spend_today), as one JSON value. */
function smsSpendJson(sql: Sql) {
  return sql`(select jsonb_build_object('spentUsd', t.spent_usd, 'budgetUsd', t.budget_usd)
    from public.sms_spend_today t)`;
}

/** The day's SMS spend against its budget (no settings row: a budget of 0, as nothing may go). */
export async function loadSmsSpend(sql: Sql): Promise<SmsSpend> {
  const [row] = await sql<{ spend: SmsSpend | null }[]>`select ${smsSpendJson(sql)} as spend`;
  return readSpend(row?.spend ?? null);
}

/** A stored spend (numerics may come as strings); none: a budget of 0, as nothing may go. */
export function readSpend(spend: SmsSpend | null): SmsSpend {
  return spend
    ? { spentUsd: Number(spend.spentUsd), budgetUsd: Number(spend.budgetUsd) }
    : { spentUsd: 0, budgetUsd: 0 };
}

/** Outbox rows (alias `o`) that count toward a phone's daily SMS cap. */
function smsSentInLastDay(sql: Sql) {
  return sql`o.channel = 'sms' and o.status = 'sent' and o.sent_at > now() - interval '24 hours'`;
}

/**
 * The lead `l` repeats: the first with the same phone or email shortly before it (by
 * `created_at`, then id, so leads saved in one statement are ordered too), or the lead that
 * one repeats, so every repeat links to the first submission.
 */
function earlierLeadOf(sql: Sql) {
  return sql`
    select coalesce(e.duplicate_of, e.id) as id,
      coalesce((select f.reference_number from public.leads f where f.id = e.duplicate_of),
        e.reference_number) as reference_number
    from public.leads e, public.business_settings b
    where b.duplicate_window_minutes > 0
      and (e.phone_e164 = l.phone_e164 or e.email = l.email)
      and e.created_at >= l.created_at - make_interval(mins => b.duplicate_window_minutes)
      and (e.created_at, e.id) < (l.created_at, l.id)
    order by e.created_at, e.id limit 1`;
}

/** A phone's consent from `sms_consent_status` (no row: none on record). */
function consentOf(
  mayText: boolean | null | undefined,
  changedAt: Date | string | null,
): PhoneConsent {
  if (mayText === null || mayText === undefined) return { state: "none", since: null };
  return {
    state: mayText ? "opted_in" : "opted_out",
    since: changedAt === null ? null : new Date(changedAt),
  };
}

export async function loadLeads(sql: Sql, ids: string[]): Promise<Map<string, Lead>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<Lead[]>`
    select ${leadColumns(sql)} from public.leads l where l.id = any (${sql.array(ids)}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** A lead with what planning its messages needs to know. */
export interface LeadForPlanning {
  lead: Lead;
  /** The phone's consent (whether this lead may be texted: consentForLead). */
  smsConsent: PhoneConsent;
  /** Set when the carrier said the lead's phone cannot take texts. */
  smsUnreachable: UnreachablePhone | null;
  smsSentLast24h: number;
  /** The day's SMS spend against its budget (read once per call). */
  smsSpend: SmsSpend;
  settings: BusinessSettings;
  /** Its messages were planned before (a repeated webhook, a sweep racing it). */
  plannedBefore: boolean;
  /** Photos uploaded with it (for its priority). */
  mediaCount: number;
  /**
   * The first lead with the same phone or email within `duplicate_window_minutes` before it
   * (or the lead that one repeats); null when there is none.
   */
  earlierLead: { id: string; reference_number: string } | null;
}

/**
 * Locks the leads while their messages are planned, so two planners cannot interleave (in id
 * order, so two batches cannot deadlock; `no key update`, so activity rows being written for
 * the same leads do not wait on it), and reads each phone's consent and texts of the
 * last 24 hours and the shop's settings with them: one round trip for a whole burst. Ids
 * with no lead are left out. With `routing` (new leads), also each lead's photo count and the
 * earlier lead it may repeat.
 */
export async function lockLeadsForPlanning(
  sql: Sql,
  ids: string[],
  opts: { routing?: boolean } = {},
): Promise<LeadForPlanning[]> {
  if (ids.length === 0) return [];
  const rows = await sql<(Lead & {
    sms_may_text: boolean | null;
    sms_consent_since: string | null;
    sms_unreachable: UnreachablePhone | null;
    sms_sent_last_24h: number;
    sms_spend: SmsSpend | null;
    settings: BusinessSettings | null;
    planned_before: boolean;
    media_count: number;
    earlier_lead: { id: string; reference_number: string } | null;
  })[]>`
    select ${leadColumns(sql)},
      c.may_text as sms_may_text, c.changed_at as sms_consent_since,
      (select to_jsonb(u) from (select ${
    unreachableColumns(sql)
  } from public.sms_unreachable_phones u
        where u.phone_e164 = l.phone_e164) u) as sms_unreachable,
      (select count(*)::int from public.notifications_outbox o
        where ${smsSentInLastDay(sql)} and o.recipient = l.phone_e164) as sms_sent_last_24h,
      ${smsSpendJson(sql)} as sms_spend,
      (select to_jsonb(s) from (select ${settingsColumns(sql)} from public.business_settings) s)
        as settings,
      l.notifications_planned_at is not null as planned_before,
      ${
    // Only a new lead's routing needs its photos and the lead it may repeat: appointments and
    // reminders (10,000 in one call) skip both lookups.
    opts.routing
      ? sql`(select count(*)::int from public.media m where m.lead_id = l.id) as media_count,
      (select to_jsonb(d) from (${earlierLeadOf(sql)}) d) as earlier_lead`
      : sql`0 as media_count, null::jsonb as earlier_lead`}
    from public.leads l
      left join lateral (select may_text, changed_at from public.sms_consent_status s
                         where s.phone_e164 = l.phone_e164) c on true
    where l.id = any (${sql.array(ids)}::uuid[])
    order by l.id for no key update of l`;
  return rows.map((
    {
      sms_may_text,
      sms_consent_since,
      sms_unreachable,
      sms_sent_last_24h,
      sms_spend,
      settings,
      planned_before,
      media_count,
      earlier_lead,
      ...lead
    },
  ) => {
    if (!settings) throw new MissingSettingsError();
    return {
      lead,
      settings: readSettings(settings),
      smsConsent: consentOf(sms_may_text, sms_consent_since),
      smsUnreachable: sms_unreachable,
      smsSentLast24h: sms_sent_last_24h,
      smsSpend: readSpend(sms_spend),
      plannedBefore: planned_before,
      mediaCount: media_count,
      earlierLead: earlier_lead,
    };
  });
}

/** The shop has not been set up: nothing can be sent without its name, phone and address. */
export class MissingSettingsError extends Error {
  override name = "MissingSettingsError";
  constructor() {
    super(
      "Cannot send notifications: public.business_settings has no row (see supabase/seed.sql)",
    );
  }
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
    select ${settingsColumns(sql)} from public.business_settings`;
  if (!row) throw new MissingSettingsError();
  return readSettings(row);
}

/** The settings row with its opening hours checked (see storedHours). */
function readSettings(row: BusinessSettings): BusinessSettings {
  return {
    ...row,
    // Unreadable hours promise what no hours do: a call within 15 minutes.
    business_hours: storedHours(
      row.business_hours,
      "business_settings.business_hours (read as none kept)",
      null,
    ),
  };
}

/** The latest consent word per phone number. */
export async function loadSmsConsent(
  sql: Sql,
  phones: string[],
): Promise<Map<string, PhoneConsent>> {
  const result = new Map<string, PhoneConsent>();
  if (phones.length === 0) return result;
  const rows = await sql<{ phone_e164: string; may_text: boolean; changed_at: Date }[]>`
    select phone_e164, may_text, changed_at from public.sms_consent_status
    where phone_e164 = any (${sql.array(phones)}::text[])`;
  for (const row of rows) result.set(row.phone_e164, consentOf(row.may_text, row.changed_at));
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
    select o.recipient, count(*)::int as n from public.notifications_outbox o
    where ${smsSentInLastDay(sql)} and o.recipient = any (${sql.array(phones)}::text[])
    group by o.recipient`;
  for (const row of rows) result.set(row.recipient, row.n);
  return result;
}

/** Numbers the carrier said cannot take texts, among `phones`. */
export async function loadUnreachablePhones(
  sql: Sql,
  phones: string[],
): Promise<Map<string, UnreachablePhone>> {
  if (phones.length === 0) return new Map();
  const rows = await sql<UnreachablePhone[]>`
    select ${unreachableColumns(sql)} from public.sms_unreachable_phones
    where phone_e164 = any (${sql.array(phones)}::text[])`;
  return new Map(rows.map((r) => [r.phone_e164, r]));
}

/**
 * Addresses on the suppression list (a hard bounce or a complaint), lower case, with the
 * reason: `email_bounced` or `email_complained`.
 */
export async function loadEmailSuppressions(
  sql: Sql,
  addresses: string[],
): Promise<Map<string, string>> {
  if (addresses.length === 0) return new Map();
  const rows = await sql<{ address: string; reason: string }[]>`
    select address, reason from public.email_suppressions
    where address = any (${sql.array(addresses.map((a) => a.toLowerCase()))}::text[])`;
  return new Map(rows.map((r) => [r.address, r.reason]));
}

/** Customers' texts by id (`sms_inbound_messages`). */
export async function loadInboundSms(sql: Sql, ids: string[]): Promise<Map<string, InboundSms>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<InboundSms[]>`
    select id::text, message_sid, from_phone, to_phone, body, media, intent, opt_out_type, lead_id,
      received_at
    from public.sms_inbound_messages where id = any (${sql.array(ids)}::bigint[])`;
  return new Map(rows.map((r) => [r.id, r]));
}
