/**
 * Web forms as PostgREST runs them for the anon key: submit_lead with its claims and request
 * headers, from a client address of the caller's choosing.
 */
import type postgres from "postgres";
import { newLead } from "./fixtures.ts";

type Sql = postgres.Sql;
export type Submission = Record<string, unknown>;

/** A client address of this run's own (documentation range), so refusals logged are ours. */
export function freshClientIp(): string {
  return `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
}

/** The headers of a request from `ip` through the local gateway. */
export function from(ip: string): Record<string, string> {
  return { "x-forwarded-for": `${ip}, 10.0.0.1` };
}

/**
 * Runs fn as PostgREST runs an anon request: role anon, its claims and headers set, committed.
 * Each call comes from an address of its own unless `headers` say otherwise (the submission
 * limits count per address).
 */
export async function asAnon<T>(
  sql: Sql,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
  headers: Record<string, string> = from(freshClientIp()),
): Promise<T> {
  return await sql.begin(async (tx) => {
    await tx`select set_config('role', 'anon', true),
      set_config('request.jwt.claims', '{"role":"anon"}', true),
      set_config('request.headers', ${JSON.stringify(headers)}, true)`;
    return await fn(tx);
  }) as T;
}

/** A form's submission, as a browser sends it: rendered a minute ago, honeypot left empty. */
export function submission(overrides: Submission = {}): Submission {
  const lead = newLead();
  return {
    first_name: lead.first_name,
    last_name: lead.last_name,
    email: lead.email,
    phone: lead.phone_e164,
    vehicle_year: lead.vehicle_year,
    vehicle_make: lead.vehicle_make,
    vehicle_model: lead.vehicle_model,
    service_type: lead.service_type,
    mobile_service: lead.mobile_service,
    address: lead.address,
    city: lead.city,
    state: lead.state,
    zip: lead.zip,
    sms_consent: true,
    source_form: "full_booking",
    form_rendered_at: new Date(Date.now() - 60_000).toISOString(),
    honeypot: "",
    ...overrides,
  };
}

/** The SQL types of submit_lead's non-text parameters (PostgREST casts JSON to them). */
const PARAMETER_TYPES: Record<string, string> = {
  vehicle_year: "integer",
  mobile_service: "boolean",
  sms_consent: "boolean",
  preferred_date: "date",
  form_rendered_at: "timestamptz",
};

/** `select public.submit_lead(...)` with named arguments, as PostgREST calls an RPC. */
export async function submit(sql: Sql, args: Submission, headers?: Record<string, string>) {
  return await asAnon(sql, async (tx) => {
    const names = Object.keys(args);
    const call = names.map((n, i) => `${n} => $${i + 1}::${PARAMETER_TYPES[n] ?? "text"}`)
      .join(", ");
    const [row] = await tx.unsafe(
      `select public.submit_lead(${call}) as result,
         current_setting('response.status', true) as status`,
      // Typed by the casts above: booleans and numbers go as they are, as JSON carries them.
      names.map((n) => (args[n] ?? null) as string | number | boolean | null),
    );
    // Unset, or set empty by an earlier transaction of this connection: no status of its own.
    return {
      result: row.result as Record<string, unknown>,
      status: (row.status || null) as string | null,
    };
  }, headers);
}
