/**
 * Resend's circuit (provider_circuits) for tests: it is shared by the whole stack, so a test
 * that opens it puts it back closed, with its shipped settings, and drops Resend's faults,
 * whatever happens.
 */
import type postgres from "postgres";
import { resend, sendgrid } from "./fakes.ts";

export async function resendCircuitState(sql: postgres.Sql): Promise<string> {
  const [row] = await sql<{ state: string }[]>`
    select state from public.provider_circuits where provider = 'resend'`;
  return row.state;
}

/**
 * Runs `body`, then closes Resend's circuit and drops Resend's faults. Meanwhile the cool-down is
 * long, so no probe goes while a test has Resend failing: the test lets one through itself when
 * Resend is back ({@linkcode coolDownOver}).
 */
export async function withResendCircuit(sql: postgres.Sql, body: () => Promise<void>) {
  const [shipped] = await sql<{ cool_down_seconds: number }[]>`
    select cool_down_seconds from public.provider_circuits where provider = 'resend'`;
  await sql`update public.provider_circuits set cool_down_seconds = 600 where provider = 'resend'`;
  try {
    await body();
  } finally {
    await resend.clearFaults();
    await sql`
      update public.provider_circuits
      set state = 'closed', failures_in_a_row = 0, opened_at = null, probe_at = null,
          probe_until = null, cool_down_seconds = ${shipped.cool_down_seconds}
      where provider = 'resend'`;
  }
}

/** Opens Resend's circuit as its failures would: email goes through SendGrid. */
export async function failOverToSendGrid(sql: postgres.Sql) {
  await sql`
    update public.provider_circuits
    set state = 'open', opened_at = now(), probe_at = now() + interval '10 minutes'
    where provider = 'resend'`;
}

/** As if the cool-down had passed: the next caller probes Resend. */
export async function coolDownOver(sql: postgres.Sql) {
  await sql`update public.provider_circuits set probe_at = now() where provider = 'resend'`;
}

/** Emails the fake SendGrid accepted for one recipient. */
export async function sendGridEmailsTo(address: string) {
  return (await sendgrid.emails()).filter((e) => e.to.includes(address));
}
