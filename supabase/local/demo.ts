/**
 * Shows the running stack at work: submits a lead as a web form does (submit_lead as anon), waits
 * for its messages to reach the providers, and prints what happened.
 */
import postgres from "postgres";
import { maskPII } from "../../shared/platform/mask.ts";

export async function runDemo(dbUrl: string, inboxUrl: string): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const phone = `+1720555${String(Date.now()).slice(-4)}`;
    // What supabase.rpc("submit_lead", {...}) runs through PostgREST with the anon key.
    const [{ result }] = await sql.begin(async (tx) => {
      await tx`select set_config('role', 'anon', true),
        set_config('request.jwt.claims', '{"role":"anon"}', true)`;
      return await tx`select public.submit_lead(
        first_name => 'Demo', last_name => 'Customer', email => 'demo.customer@example.com',
        phone => ${phone}, vehicle_year => 2021, vehicle_make => 'Tesla',
        vehicle_model => 'Model 3', service_type => 'replacement', mobile_service => true,
        city => 'Denver', state => 'CO', zip => '80202', sms_consent => true,
        source_form => 'full_booking',
        form_rendered_at => now() - interval '40 seconds', honeypot => '') as result`;
    });
    const [lead] = await sql`select id, reference_number from public.leads
      where reference_number = ${result.reference_number}`;
    console.log(`[demo] a web form submitted lead ${lead.reference_number}`);
    const started = Date.now();
    let rows: postgres.Row[] = [];
    while (Date.now() - started < 20_000) {
      rows =
        await sql`select template, recipient, status, status_reason, sent_at - created_at as took
                       from public.notifications_outbox where lead_id = ${lead.id} order by id`;
      if (
        rows.length > 0 && rows.every((r) => !["pending", "sending", "retry"].includes(r.status))
      ) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const r of rows) {
      const detail = r.status === "sent"
        ? `sent`
        : `${r.status}${r.status_reason ? ` (${r.status_reason})` : ""}`;
      console.log(
        `[demo]   ${r.template.padEnd(28)} → ${maskPII(r.recipient ?? "-").padEnd(26)} ${detail}`,
      );
    }
    console.log(`[demo] see the messages at ${inboxUrl}`);
  } catch (err) {
    console.error(`[demo] failed: ${(err as Error).message}`);
  } finally {
    await sql.end();
  }
}
