/**
 * Row shapes shared by the functions, the templates and the tests.
 * Column names are the database's own (snake_case), so a row read with
 * `npm:postgres` can be used as it is.
 */
import type { InboundIntent } from "../compliance/sms_keywords.ts";
import type { WeeklyHours } from "./business_hours.ts";

/** The kinds of work a shop does; `leads.service_type` holds one of these. */
export type ServiceType = "repair" | "replacement" | "calibration" | "other";

/** Which web form produced a lead; `leads.source_form`. */
export type SourceForm = "quick_quote" | "full_booking" | "api";

/** A row of `public.leads`. Optional form fields are null when the form did not ask. */
export interface Lead {
  id: string;
  reference_number: string;
  created_at: Date;
  first_name: string;
  last_name: string | null;
  email: string | null;
  phone_e164: string | null;
  vehicle_year: number | null;
  vehicle_make: string | null;
  vehicle_model: string | null;
  service_type: ServiceType;
  mobile_service: boolean;
  preferred_date: string | null; // ISO date, yyyy-mm-dd
  address: string | null;
  city: string | null;
  state: string | null; // two-letter US state
  zip: string | null;
  /**
   * The IANA zone the customer lives in, set by the database when the lead is saved: its ZIP's,
   * else its state's, else the shop's (`time_zones_for_address`).
   */
  time_zone: string;
  /** Zones the customer may be in as well, when only a state a zone line splits is known. */
  also_time_zones: string[];
  notes: string | null;
  sms_consent: boolean;
  sms_consent_at: Date | null;
  sms_consent_source: string | null;
  source_form: SourceForm;
  /** Scored when the lead is planned; null before. */
  priority: "high" | "normal" | null;
  /** The staff member whose turn it was (`staff_members.id`); null: the admin inbox. */
  assigned_to: string | null;
  /** Their name, read with the lead. */
  assigned_to_name: string | null;
  /** The earlier lead this one repeats (same phone or email, shortly before). */
  duplicate_of: string | null;
  /** That lead's reference number, read with the lead. */
  duplicate_of_reference: string | null;
}

/** A row of `public.media`: a photo the customer uploaded to Storage. */
export interface Media {
  id: string;
  lead_id: string;
  bucket: string;
  object_path: string;
  content_type: string | null;
  size_bytes: number | null;
}

/** A row of `public.sms_inbound_messages`: a text a customer sent to the shop's number. */
export interface InboundSms {
  id: string;
  message_sid: string;
  /** The customer's number (E.164). */
  from_phone: string;
  to_phone: string | null;
  body: string;
  /** MMS attachments, as Twilio hosts them. */
  media: { url: string; content_type: string | null }[];
  intent: InboundIntent;
  /** Twilio Advanced Opt-Out's reading, when it answered the customer itself. */
  opt_out_type: string | null;
  lead_id: string | null;
  received_at: Date;
}

/** A row of `public.sms_unreachable_phones`: the carrier said this number cannot take texts. */
export interface UnreachablePhone {
  phone_e164: string;
  /** Twilio's error code: 30003 unreachable, 30005 unknown number, 30006 landline. */
  error_code: number;
  /** What the code means, in words staff read ("landline or unreachable carrier"). */
  reason: string;
}

/** The single row of `public.business_settings`. */
export interface BusinessSettings {
  business_name: string;
  phone_display: string; // "(720) 918-7465"
  phone_e164: string;
  postal_address: string;
  website_url: string;
  reply_to_email: string;
  time_zone: string; // IANA, e.g. "America/Denver"
  sms_window_start_hour: number; // recipient local time, inclusive
  sms_window_end_hour: number; // recipient local time, exclusive
  sms_daily_cap: number;
  /** Opening hours in `time_zone` (see shared/leads/business_hours.ts); null: none kept. */
  business_hours: WeeklyHours | null;
  /** Minutes of opening hours a lead may wait for a staff action before it is escalated. */
  escalation_minutes: number;
  /** The same phone or email again within this many minutes is a possible duplicate. */
  duplicate_window_minutes: number;
  /** Most texts the on-call phone is sent in an hour; the rest go into one digest text. */
  on_call_sms_hourly_cap: number;
  /** Most leads one sweep escalates. */
  escalations_per_sweep: number;
  /** Most leads escalated in an hour. */
  escalations_per_hour: number;
  /** Most confirmation texts an hour to numbers never texted before; more are held. */
  first_texts_per_hour: number;
  /** Most new-lead alert emails a staff member gets in a window; the rest go into one digest. */
  staff_alerts_per_window: number;
  /** The staff digest's window, in minutes: alerts are counted over it, and a digest waits it. */
  staff_alert_window_minutes: number;
}

/** `lead_activities.activity_type`: the one spelling used in SQL, TypeScript and templates. */
export const ACTIVITY_TYPES = [
  "email_sent",
  "email_delivered",
  "email_opened",
  "email_failed",
  "email_bounced",
  "email_complained",
  "sms_sent",
  "sms_delivered",
  "sms_failed",
  "sms_opt_out",
  "sms_opt_in",
  "sms_received",
  "call_made",
  "appointment_scheduled",
  "appointment_cancelled",
  "status_updated",
  "lead_assigned",
  "lead_claimed",
  "lead_escalated",
  "webhook_sent",
  "webhook_failed",
  "notification_failed",
  "notification_suppressed",
  "notification_deferred",
  "notification_replayed",
] as const;
export type ActivityType = typeof ACTIVITY_TYPES[number];

/** What staff do about a lead; the first one stops the speed-to-lead clock. */
export const STAFF_ACTION_TYPES = [
  "call_made",
  "lead_claimed",
  "status_updated",
  "appointment_scheduled",
] as const satisfies readonly ActivityType[];
