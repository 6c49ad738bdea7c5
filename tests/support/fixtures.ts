/** Builders for test data: a valid lead unless the test says otherwise. */
import type postgres from "postgres";
import type { Lead } from "../../shared/leads/types.ts";

export interface LeadInput {
  first_name?: string;
  last_name?: string | null;
  email?: string | null;
  phone_e164?: string | null;
  vehicle_year?: number | null;
  vehicle_make?: string | null;
  vehicle_model?: string | null;
  service_type?: string;
  mobile_service?: boolean;
  preferred_date?: string | null;
  address?: string | null;
  city?: string | null;
  state?: string | null;
  zip?: string | null;
  notes?: string | null;
  sms_consent?: boolean;
  source_form?: string;
}

/**
 * A Denver number no other test lead has: consent belongs to a phone number, so two leads
 * sharing one would share their consent.
 */
export function uniquePhone(): string {
  const exchange = 200 + Math.floor(Math.random() * 800);
  const line = String(Math.floor(Math.random() * 10_000)).padStart(4, "0");
  return `+1720${exchange}${line}`;
}

/** A full-booking lead with every field filled in; override what a test is about. */
export function makeLead(overrides: Partial<Lead> = {}): Lead {
  return {
    id: "0b6f4a52-8c8e-4c1e-9a59-2f1f7d6d3a10",
    reference_number: "PAG-261125-0042",
    created_at: new Date("2026-11-25T16:31:00Z"),
    first_name: "Jane",
    last_name: "Doe",
    email: "jane.doe@example.com",
    phone_e164: "+17209187465",
    vehicle_year: 2019,
    vehicle_make: "Honda",
    vehicle_model: "Civic",
    service_type: "replacement",
    mobile_service: true,
    preferred_date: "2026-11-27",
    address: "123 Main St",
    city: "Denver",
    state: "CO",
    zip: "80202",
    time_zone: "America/Denver",
    also_time_zones: [],
    notes: "Crack from a rock chip.\nDriver side.",
    sms_consent: true,
    sms_consent_at: new Date("2026-11-25T16:31:00Z"),
    sms_consent_source: "web_form_checkbox",
    source_form: "full_booking",
    priority: null,
    assigned_to: null,
    assigned_to_name: null,
    duplicate_of: null,
    duplicate_of_reference: null,
    ...overrides,
  };
}

/** What a quick-quote form saves: first name, phone, service, nothing else. */
export function makeQuickQuoteLead(overrides: Partial<Lead> = {}): Lead {
  return makeLead({
    last_name: null,
    email: null,
    vehicle_year: null,
    vehicle_make: null,
    vehicle_model: null,
    service_type: "other",
    mobile_service: false,
    preferred_date: null,
    address: null,
    city: null,
    state: null,
    zip: null,
    notes: null,
    sms_consent: false,
    sms_consent_at: null,
    sms_consent_source: null,
    source_form: "quick_quote",
    ...overrides,
  });
}

/** The columns a form (or the service role) fills in when it inserts a lead. */
const INSERTED: (keyof LeadInput)[] = [
  "first_name",
  "last_name",
  "email",
  "phone_e164",
  "vehicle_year",
  "vehicle_make",
  "vehicle_model",
  "service_type",
  "mobile_service",
  "preferred_date",
  "address",
  "city",
  "state",
  "zip",
  "notes",
  "sms_consent",
  "source_form",
];

/**
 * A lead to insert: makeLead's, as a form leaves it (no date wanted, no notes), with a phone and
 * an email of its own, so no other test's lead is taken for a repeat or shares its consent.
 */
export function newLead(overrides: LeadInput = {}): Required<LeadInput> {
  const lead = makeLead({
    email: `jane.${crypto.randomUUID().slice(0, 8)}@example.com`,
    phone_e164: uniquePhone(),
    vehicle_make: "Subaru",
    vehicle_model: "Outback",
    preferred_date: null,
    address: "1500 Blake St",
    notes: null,
  });
  return {
    ...Object.fromEntries(INSERTED.map((column) => [column, lead[column]])) as Required<LeadInput>,
    ...overrides,
  };
}

/** Inserts a lead as the service role would and returns its id and reference number. */
export async function insertLead(sql: postgres.Sql, overrides: LeadInput = {}) {
  const lead = newLead(overrides);
  const [row] = await sql`insert into public.leads ${sql(lead)} returning id, reference_number`;
  return { ...lead, id: row.id as string, reference_number: row.reference_number as string };
}
