/**
 * Providers' limits as their answers state them, through the running functions: notify-lead
 * starts from Resend's assumed 2 requests/s, reads `ratelimit-limit` from the first answer, and
 * every sender then keeps to the team's limit, 5 or 2, without a 429 (appointment
 * confirmations carry an invite, so each is a call of its own: a burst of them is a burst of
 * calls). Twilio states no limit: its 429 (20429) pauses every sender through the database.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { resend, smsTo, twilio } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

/** Most calls the fake Resend received within any one second (by arrival). */
function busiestSecond(arrivals: number[]): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= 1000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** Schedules an appointment for each of `count` new leads at once; resolves with their calls. */
async function burstOfInvites(sql: postgres.Sql, count: number) {
  const leads: Awaited<ReturnType<typeof insertLead>>[] = [];
  for (let i = 0; i < count; i++) leads.push(await insertLead(sql));
  for (const lead of leads) await settledOutbox(sql, lead.id, 3);
  const since = (await resend.requests()).at(-1)?.seq ?? 0;
  const refs = leads.map((l) => l.reference_number);
  await sql`
    select public.schedule_appointment(ref,
      to_char((now() at time zone 'America/Denver')::date + 3, 'YYYY-MM-DD') || ' 09:00',
      '9-11 am', 'Ava Chen')
    from unnest(${sql.array(refs)}::text[]) as ref`;
  await waitFor(`${count} appointment confirmations to be sent`, async () => {
    const [{ sent }] = await sql`select count(*)::int as sent from public.notifications_outbox
      where lead_id = any (${sql.array(leads.map((l) => l.id))}::uuid[])
        and template = 'appointment_confirmation_email' and status = 'sent'`;
    return sent === count;
  }, { timeoutMs: 30_000 });
  const calls = (await resend.requests()).filter((r) =>
    r.seq > since && r.method === "POST" && r.path === "/emails" &&
    refs.some((ref) => JSON.stringify(r.body).includes(ref))
  );
  return {
    calls: calls.length,
    busiest: busiestSecond(calls.map((r) => Date.parse(r.at))),
    refused: calls.filter((r) => r.response.status === 429).length,
  };
}

async function learnedLimit(sql: postgres.Sql): Promise<number | null> {
  const [row] = await sql`select per_window from public.provider_limits where provider = 'resend'`;
  return row?.per_window ?? null;
}

Deno.test("the Resend limit follows the header: with the fake at 5 requests/s more than 2 calls go in a second, at 2 no more than 2, and none is answered 429", async (t) => {
  const sql = connect();
  try {
    for (const perSecond of [5, 2]) {
      await t.step(`the team's limit at ${perSecond} requests/s`, async () => {
        await resend.rateLimit(perSecond);
        // Forgotten: the first call assumes 2, as a new deployment's does.
        await sql`delete from public.provider_limits where provider = 'resend'`;
        const burst = await burstOfInvites(sql, 10);
        assert.equal(burst.calls, 10, "one call per invite");
        assert.equal(burst.refused, 0, "no call was answered 429");
        assert.equal(await learnedLimit(sql), perSecond, "the limit the answers stated");
        if (perSecond > 2) {
          assert.ok(burst.busiest > 2, `${burst.busiest} calls in the busiest second`);
        }
        assert.ok(burst.busiest <= perSecond, `${burst.busiest} calls in the busiest second`);
      });
    }
  } finally {
    // Back to the fake's default, and the next answer states it.
    await resend.rateLimit(2);
    await sql`delete from public.provider_limits where provider = 'resend'`;
    await sql.end();
  }
});

Deno.test("Twilio's 429 (20429) pauses every sender through the database, and each text still goes once", async () => {
  const sql = connect();
  const [saved] =
    await sql`select sms_window_start_hour, sms_window_end_hour from public.business_settings`;
  const [{ before }] =
    await sql`select coalesce(max(id), 0) as before from public.provider_rate_slots`;
  try {
    await smsWindowAlwaysOpen(sql);
    await twilio.rateLimit(2);
    const since = (await twilio.requests()).at(-1)?.seq ?? 0;
    const leads = await Promise.all(Array.from({ length: 8 }, () => insertLead(sql)));
    for (const lead of leads) {
      const rows = await settledOutbox(sql, lead.id, 3);
      assert.equal(rows.initial_confirmation_sms.status, "sent", lead.reference_number);
      const texts = (await smsTo(lead.phone_e164)).filter((m) =>
        m.body.includes(lead.reference_number)
      );
      assert.equal(texts.length, 1, `${lead.reference_number} texted once`);
    }
    const phones = new Set(leads.map((l) => l.phone_e164));
    const refused = (await twilio.requests()).filter((r) =>
      r.seq > since && r.response.status === 429 &&
      phones.has(String((r.body as Record<string, unknown>)?.To))
    );
    assert.ok(refused.length > 0, "the fake's limit refused some of the burst");
    const [{ pauses }] = await sql`select count(*)::int as pauses from public.provider_rate_slots
      where provider = 'twilio' and id > ${before} and blocked_until is not null`;
    assert.ok(pauses > 0, "a 429 paused every sender");
  } finally {
    await twilio.rateLimit(null);
    await sql`update public.business_settings
      set sms_window_start_hour = ${saved.sms_window_start_hour},
        sms_window_end_hour = ${saved.sms_window_end_hour}`;
    await sql.end();
  }
});
