/**
 * burst [leads]: 100 leads (or as many as given) committed at once, providers answering in ~150 ms, Resend limited to
 * 2 requests/s. How long until each message is accepted by its (fake) provider, counted from
 * just before the INSERT; how many were lost or sent twice.
 *
 * burst [leads] resend-failing: the same with Resend answering 500 to everything from the start,
 * so email fails over to SendGrid once Resend's circuit opens; emails are counted at both fakes,
 * per provider, and one accepted by both is sent twice.
 */
import { percentile } from "./percentile.ts";
import { connect } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { resend, sendgrid, twilio } from "../support/fakes.ts";
import { withResendCircuit } from "../support/email_failover.ts";
import { describePeak, sampleFunctionConnections } from "./connections.ts";
import { smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";

const DEFAULT_LEADS = 100;
const LATENCY_MS = 150;

export async function burst(args: string[] = []): Promise<boolean> {
  const LEADS = args[0] ? Number(args[0]) : DEFAULT_LEADS;
  if (!Number.isInteger(LEADS) || LEADS < 1) {
    throw new TypeError(`burst: "${args[0]}" is not a number of leads`);
  }
  if (args[1] !== undefined && args[1] !== "resend-failing") {
    throw new TypeError(`burst: "${args[1]}" is not a mode (resend-failing)`);
  }
  const resendFailing = args[1] === "resend-failing";
  const sql = connect({ max: 2 });
  try {
    if (!resendFailing) return await run(sql, LEADS, false);
    // The circuit's cool-down is long meanwhile (no probe), and it is closed again after.
    let ok = false;
    await withResendCircuit(sql, async () => {
      await resend.reset();
      await resend.fault({ path: "/emails", times: 1_000_000, status: 500 });
      ok = await run(sql, LEADS, true);
    });
    return ok;
  } finally {
    await Promise.all([resend.latency(0), twilio.latency(0), sendgrid.latency(0)]);
    await sql.end();
  }
}

async function run(
  sql: ReturnType<typeof connect>,
  LEADS: number,
  resendFailing: boolean,
): Promise<boolean> {
  {
    await smsWindowAlwaysOpen(sql);
    await Promise.all([
      resendFailing ? undefined : resend.reset(),
      twilio.reset(),
      sendgrid.reset(),
    ]);
    await Promise.all([
      resend.latency(LATENCY_MS),
      twilio.latency(LATENCY_MS),
      sendgrid.latency(LATENCY_MS),
    ]);

    // One phone per lead (random ones collide in a burst of 1,000; consent and the daily cap
    // belong to the phone), from an exchange picked per run.
    const exchange = 200 + Math.floor(Math.random() * 800);
    const leads = Array.from({ length: LEADS }, (_, i) =>
      newLead({
        sms_consent: true,
        phone_e164: `+1720${exchange + Math.floor(i / 10_000)}${
          String(i % 10_000).padStart(4, "0")
        }`,
      }));
    const connections = sampleFunctionConnections(sql);
    const started = Date.now();
    const rows = await sql`insert into public.leads ${sql(leads)} returning id`;
    const committed = Date.now();
    const ids = rows.map((r) => r.id as string);

    await waitFor("every message of the burst to settle", async () => {
      const [{ open }] = await sql`
        select count(*)::int as open from public.leads l
        where l.id = any (${sql.array(ids)}::uuid[])
          and (l.notifications_planned_at is null or exists (
            select from public.notifications_outbox o
            where o.lead_id = l.id and o.status in ('pending', 'sending', 'retry')))`;
      return open === 0;
    }, { timeoutMs: 600_000, intervalMs: 100 });
    const connectionPeak = await connections.stop();

    const keys =
      await sql`select key, template, status from public.notifications_outbox where lead_id = any (${
        sql.array(ids)
      }::uuid[])`;
    const keyTemplate = new Map(keys.map((k) => [k.key as string, k.template as string]));
    const phoneTemplate = new Map(leads.map((l) => [l.phone_e164, "initial_confirmation_sms"]));

    // When each message was accepted: the fake's log of 2xx answers (ms resolution).
    const accepted = new Map<string, number[]>(); // key or phone → accept times
    const byProvider = { resend: 0, sendgrid: 0, twilio: 0 };
    for (const req of await resend.requests()) {
      if (req.response.status !== 200 || !req.path.startsWith("/emails")) continue;
      const emails = (Array.isArray(req.body) ? req.body : [req.body]) as Array<
        { headers?: Record<string, string> }
      >;
      for (const e of emails) {
        const key = e.headers?.["X-Entity-Ref-ID"];
        if (key && keyTemplate.has(key)) {
          accepted.set(key, [...(accepted.get(key) ?? []), Date.parse(req.at)]);
          byProvider.resend++;
        }
      }
    }
    for (const req of await sendgrid.requests()) {
      if (req.response.status !== 202) continue;
      const key = (req.body as { headers?: Record<string, string> } | null)?.headers
        ?.["X-Entity-Ref-ID"];
      if (key && keyTemplate.has(key)) {
        accepted.set(key, [...(accepted.get(key) ?? []), Date.parse(req.at)]);
        byProvider.sendgrid++;
      }
    }
    for (const req of await twilio.requests()) {
      const to = (req.body as { To?: string } | null)?.To;
      if (req.response.status !== 201 || !to || !phoneTemplate.has(to)) continue;
      accepted.set(to, [...(accepted.get(to) ?? []), Date.parse(req.at)]);
      byProvider.twilio++;
    }

    const byKind = new Map<string, number[]>();
    let duplicated = 0;
    for (const [id, times] of accepted) {
      const template = keyTemplate.get(id) ?? phoneTemplate.get(id)!;
      if (times.length > 1) duplicated += times.length - 1;
      byKind.set(template, [
        ...(byKind.get(template) ?? []),
        (Math.min(...times) - started) / 1000,
      ]);
    }
    const expected = keys.filter((k) => k.status !== "suppressed").length;
    const lost = expected - accepted.size;

    console.log(
      `\nburst: ${LEADS} leads in one INSERT (committed in ${
        committed - started
      } ms), provider latency ${LATENCY_MS} ms, Resend 2 req/s${
        resendFailing ? ", Resend answering 500 to everything" : ""
      }`,
    );
    console.log("seconds from INSERT to provider acceptance");
    console.log(["kind".padEnd(30), "n", "p50", "p95", "p99", "max"].join("\t"));
    for (const [kind, values] of [...byKind].sort()) {
      const sorted = values.sort((a, b) => a - b);
      console.log(
        [
          kind.padEnd(30),
          sorted.length,
          ...[50, 95, 99].map((p) => percentile(sorted, p).toFixed(2)),
          sorted.at(-1)!.toFixed(2),
        ].join("\t"),
      );
    }
    const [planned] = await sql`
      select percentile_disc(0.5) within group (order by s) as p50,
             percentile_disc(0.99) within group (order by s) as p99, max(s) as max
      from (select extract(epoch from notifications_planned_at) - ${started / 1000} as s
            from public.leads where id = any (${sql.array(ids)}::uuid[])) t`;
    console.log(
      `planned (outbox rows written) p50 ${Number(planned.p50).toFixed(2)}, p99 ${
        Number(planned.p99).toFixed(2)
      }, max ${Number(planned.max).toFixed(2)}`,
    );
    const emailCalls = (await resend.requests()).filter((r) => r.path.startsWith("/emails"));
    console.log(
      "resend calls (s after INSERT:emails): " +
        emailCalls.map((r) =>
          `${((Date.parse(r.at) - started) / 1000).toFixed(1)}:${
            Array.isArray(r.body) ? r.body.length : 1
          }`
        ).join(" "),
    );
    console.log(
      `resend calls: ${emailCalls.length} (${
        emailCalls.filter((r) => r.response.status === 429).length
      } answered 429)`,
    );
    const sentBy = new Map(
      (await sql<{ key: string; provider: string | null }[]>`
        select key, provider from public.notifications_outbox
        where lead_id = any (${sql.array(ids)}::uuid[]) and status = 'sent'`)
        .map((r) => [r.key, r.provider]),
    );
    const customers = keys.filter((k) => k.template === "customer_confirmation_email");
    const customersAt = (provider: string) =>
      customers.filter((k) => sentBy.get(k.key) === provider).length;
    console.log(
      `accepted per provider: resend ${byProvider.resend}, sendgrid ${byProvider.sendgrid}, ` +
        `twilio ${byProvider.twilio}; customer confirmations sent through resend ${
          customersAt("resend")
        }, sendgrid ${customersAt("sendgrid")} of ${customers.length}`,
    );
    console.log(describePeak(connectionPeak));
    console.log(
      `messages expected ${expected}, accepted ${accepted.size}, lost ${lost}, duplicated ${duplicated}`,
    );
    return lost === 0 && duplicated === 0;
  }
}
