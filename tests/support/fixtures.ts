/** Builders for test data: a valid lead unless the test says otherwise. */
import type postgres from "postgres";

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

/** A complete full-booking lead with SMS consent; each call gets its own phone and email. */
export function makeLead(overrides: LeadInput = {}): Required<LeadInput> {
  return {
    first_name: "Jane",
    last_name: "Doe",
    email: `jane.${crypto.randomUUID().slice(0, 8)}@example.com`,
    phone_e164: uniquePhone(),
    vehicle_year: 2019,
    vehicle_make: "Subaru",
    vehicle_model: "Outback",
    service_type: "replacement",
    mobile_service: true,
    preferred_date: null,
    address: "1500 Blake St",
    city: "Denver",
    state: "CO",
    zip: "80202",
    notes: null,
    sms_consent: true,
    source_form: "full_booking",
    ...overrides,
  };
}

/** Inserts a lead as the service role would and returns its id and reference number. */
export async function insertLead(sql: postgres.Sql, overrides: LeadInput = {}) {
  const lead = makeLead(overrides);
  const [row] = await sql`insert into public.leads ${sql(lead)} returning id, reference_number`;
  return { ...lead, id: row.id as string, reference_number: row.reference_number as string };
}
