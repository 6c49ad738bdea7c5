/**
 * reminders [appointments] [no-callbacks]: 10,000 appointments (or as many as given) whose
 * day-before reminder falls due in one run of send-reminders, posted once as pg_cron does
 * (pg_cron may post it again meanwhile). Providers answer in ~150 ms, Resend takes 2 requests/s,
 * and the fake Twilio posts its three signed status callbacks per text to twilio-inbound
 * (`no-callbacks` turns them off, to see what they cost). Prints how long planning took and
 * how long until each reminder was accepted by its (fake) provider, counted from the post;
 * and how many were lost or accepted twice, counted at the fakes.
 */
import { connect, stack } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { resend, twilio } from "../support/fakes.ts";
import { postToNotifyLead, smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";

const DEFAULT_APPOINTMENTS = 10_000;
const LATENCY_MS = 150;
/** Every tenth customer gave no SMS consent: their reminder is the email. */
const NO_CONSENT_EVERY = 10;
/** Rows per INSERT: a statement takes at most 65,535 parameters. */
const INSERT_CHUNK = 2_000;
const REMINDER_TEMPLATES = ["appointment_reminder_sms", "appointment_reminder_email"];

function percentile(sorted: number[], p: number): number | undefined {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Turns the fake Twilio's status callbacks (sent, delivered) on or off. */
async function statusCallbacks(enabled: boolean) {
  const res = await fetch(`${stack.twilioUrl}/__fake/status-callbacks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ enabled }),
  });
  if (!res.ok) throw new Error(`status-callbacks answered ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

/** Inserts the customers and their appointments, all due for a reminder now; returns lead ids. */
async function seedAppointments(sql: ReturnType<typeof connect>, count: number) {
  // One phone per customer (consent and the daily cap belong to the phone), from an exchange
  // picked per run, and one email each.
  const exchange = 200 + Math.floor(Math.random() * (800 - Math.ceil(count / 10_000)));
  const run = crypto.randomUUID().slice(0, 8);
  const leads = Array.from({ length: count }, (_, i) => ({
    ...newLead({
      sms_consent: i % NO_CONSENT_EVERY !== 0,
      phone_e164: `+1719${exchange + Math.floor(i / 10_000)}${String(i % 10_000).padStart(4, "0")}`,
      email: `reminder.${run}.${i}@example.com`,
    }),
    // Given, not drawn from next_lead_reference(): its lpad(…, 4) cuts the running number
    // 10000 to "1000", so past 9,999 leads a day's reference numbers repeat.
    reference_number: `PAG-RMD${run}-${i}`,
  }));
  return await sql.begin(async (tx) => {
    // Triggers off for this transaction: no new-lead webhooks, messages or consent rows.
    await tx`set local session_replication_role = replica`;
    const ids: string[] = [];
    for (let i = 0; i < leads.length; i += INSERT_CHUNK) {
      const rows = await tx`insert into public.leads ${
        tx(leads.slice(i, i + INSERT_CHUNK))
      } returning id`;
      ids.push(...rows.map((r) => r.id as string));
    }
    await tx`update public.leads set notifications_planned_at = now()
             where id = any (${tx.array(ids)}::uuid[])`;
    await tx`insert into public.sms_consent_events (phone_e164, event, source, lead_id)
             select phone_e164, 'opt_in', 'web_form', id from public.leads
             where id = any (${tx.array(ids)}::uuid[]) and sms_consent`;
    // Confirmed two days ago (so a reminder is owed), starting in 23 h 59 min: due now.
    await tx`
      insert into public.appointments (lead_id, status, version, starts_at, ends_at, time_window,
        time_zone, technician_name, service_address, changed_at, planned_version,
        reminder_version)
      select l.id, 'scheduled', 1, t.starts_at, t.starts_at + interval '2 hours',
        to_char(t.starts_at at time zone 'America/Denver', 'HH24:MI') || '-' ||
          to_char((t.starts_at + interval '2 hours') at time zone 'America/Denver', 'HH24:MI'),
        'America/Denver', 'Ava Chen', concat_ws(', ', l.address, l.city, l.state || ' ' || l.zip),
        now() - interval '2 days', 1, null
      from public.leads l
      cross join (select now() + interval '24 hours' - interval '1 minute' as starts_at) t
      where l.id = any (${tx.array(ids)}::uuid[])`;
    return ids;
  }) as string[];
}

/** Seconds, from milliseconds. */
function secs(ms: number | undefined): string {
  return ms === undefined ? "-" : (ms / 1000).toFixed(2);
}

/**
 * When the fakes accepted each reminder (their logs of 2xx answers, ms resolution): texts by
 * phone, emails by outbox key. A Resend 200 to a key it answered before is a replay of that
 * answer, not a second email.
 */
async function acceptedByFakes(smsPhones: Set<string>, emailKeys: Set<string>) {
  const sms = new Map<string, number[]>();
  const email = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, id: string, at: string) =>
    m.set(id, [...(m.get(id) ?? []), Date.parse(at)]);

  const emailCalls = (await resend.requests()).filter((r) =>
    r.method === "POST" && r.path.startsWith("/emails")
  );
  const answeredKeys = new Set<string>();
  let replays = 0;
  for (const req of emailCalls) {
    if (req.response.status !== 200) continue;
    const key = `${req.path} ${req.headers["idempotency-key"]}`;
    if (answeredKeys.has(key)) {
      replays++;
      continue;
    }
    answeredKeys.add(key);
    const emails = (Array.isArray(req.body) ? req.body : [req.body]) as Array<
      { headers?: Record<string, string> }
    >;
    for (const e of emails) {
      const ref = e.headers?.["X-Entity-Ref-ID"];
      if (ref && emailKeys.has(ref)) add(email, ref, req.at);
    }
  }

  const twilioCalls = (await twilio.requests()).filter((r) => r.path.endsWith("/Messages.json"));
  const smsCalls = twilioCalls.filter((r) => r.method === "POST");
  for (const req of smsCalls) {
    const to = (req.body as { To?: string } | null)?.To;
    if (req.response.status === 201 && to && smsPhones.has(to)) add(sms, to, req.at);
  }

  const duplicated = [...sms.values(), ...email.values()]
    .reduce((n, times) => n + times.length - 1, 0);
  return {
    sms,
    email,
    duplicated,
    replays,
    smsCalls: smsCalls.length,
    smsRefused: smsCalls.filter((r) => r.response.status !== 201).length,
    lookups: twilioCalls.filter((r) => r.method === "GET").length,
    emailCalls: emailCalls.length,
    throttled: emailCalls.filter((r) => r.response.status === 429).length,
  };
}

export async function reminders(args: string[] = []): Promise<boolean> {
  const callbacks = !args.includes("no-callbacks");
  const counts = args.filter((a) => a !== "no-callbacks");
  const APPOINTMENTS = counts[0] ? Number(counts[0]) : DEFAULT_APPOINTMENTS;
  if (!Number.isInteger(APPOINTMENTS) || APPOINTMENTS < 1) {
    throw new TypeError(`reminders: "${counts[0]}" is not a number of appointments`);
  }
  const sql = connect({ max: 2 });
  try {
    await smsWindowAlwaysOpen(sql);
    await Promise.all([resend.reset(), twilio.reset()]);
    await Promise.all([resend.latency(LATENCY_MS), twilio.latency(LATENCY_MS)]);
    await statusCallbacks(callbacks);

    const seeding = Date.now();
    const ids = await seedAppointments(sql, APPOINTMENTS);
    const seeded = Date.now() - seeding;

    const [{ outboxBefore }] = await sql`
      select coalesce(max(id), 0)::text as "outboxBefore" from public.notifications_outbox`;
    const started = Date.now();
    const answer = postToNotifyLead("send-reminders", "{}").then(async (res) => ({
      status: res.status,
      body: await res.text(),
      after: Date.now() - started,
    }));
    // Polled every 200 ms, so kept light: the reminders are counted by lead only until all are
    // planned; then only the open rows planned since the post are looked at (partial indexes),
    // not matched against the 10,000 leads, which cost more than the drain being measured.
    await waitFor("every reminder to be planned", async () => {
      const [row] = await sql`
        select count(distinct o.lead_id)::int as planned from public.notifications_outbox o
        where o.lead_id = any (${sql.array(ids)}::uuid[])
          and o.template = any (${sql.array(REMINDER_TEMPLATES)}::text[])`;
      return row.planned === APPOINTMENTS;
    }, { timeoutMs: 600_000, intervalMs: 200 });
    const plannedAfter = Date.now() - started;
    await waitFor("every reminder to settle", async () => {
      const [row] = await sql`
        select count(*)::int as open from public.notifications_outbox o
        where (o.status in ('pending', 'retry', 'deferred') or o.status = 'sending')
          and (o.status <> 'deferred' or o.next_attempt_at <= now())
          and o.template = any (${sql.array(REMINDER_TEMPLATES)}::text[])
          and o.id > ${outboxBefore}`;
      return row.open === 0;
    }, { timeoutMs: 600_000, intervalMs: 200 });
    const settledAfter = Date.now() - started;

    const rows = await sql`
      select o.key, o.template, o.recipient, o.status, o.delivery_status
      from public.notifications_outbox o
      where o.lead_id = any (${sql.array(ids)}::uuid[])
        and o.template = any (${sql.array(REMINDER_TEMPLATES)}::text[])`;
    const toSend = rows.filter((r) => r.status !== "suppressed");
    const smsPhones = new Set(
      toSend.filter((r) => r.template === "appointment_reminder_sms").map((r) => r.recipient),
    );
    const emailKeys = new Set(
      toSend.filter((r) => r.template === "appointment_reminder_email").map((r) => r.key),
    );

    const fakes = await acceptedByFakes(smsPhones, emailKeys);
    const sinceStart = (times: Map<string, number[]>) =>
      [...times.values()].map((t) => Math.min(...t) - started).sort((a, b) => a - b);
    const acceptedMs = { sms: sinceStart(fakes.sms), email: sinceStart(fakes.email) };
    const all = [...acceptedMs.sms, ...acceptedMs.email].sort((a, b) => a - b);
    const lost = smsPhones.size - fakes.sms.size + emailKeys.size - fakes.email.size;
    const statuses = Map.groupBy(rows, (r) => `${r.template}:${r.status}`);
    const answered = await answer;
    const [attempts] = await sql`
      select count(*) filter (where a.outcome = 'retry')::int as retried,
             count(*) filter (where a.reconciled)::int as reconciled,
             coalesce(string_agg(distinct a.error, '; ') filter (where a.outcome = 'retry'), '')
               as errors
      from public.notification_attempts a
      join public.notifications_outbox o on o.id = a.outbox_id
      where o.lead_id = any (${sql.array(ids)}::uuid[])
        and o.template = any (${sql.array(REMINDER_TEMPLATES)}::text[])`;
    const [cron] = await sql`
      select count(*)::int as runs from cron.job_run_details d
      join cron.job j on j.jobid = d.jobid
      where j.jobname = 'leadwire-send-reminders'
        and d.start_time >= to_timestamp(${started / 1000})`;

    console.log(
      `\nreminders: ${APPOINTMENTS} appointments due at once (seeded in ${seeded} ms), ` +
        `provider latency ${LATENCY_MS} ms, Resend 2 req/s, ` +
        `Twilio status callbacks ${callbacks ? "on" : "off"}`,
    );
    console.log(
      `send-reminders answered ${answered.status} after ${secs(answered.after)} s ` +
        `(${answered.body.slice(0, 120)}); ` +
        `pg_cron ran it ${cron.runs} more time(s) during the run`,
    );
    console.log(
      `every reminder planned after ${secs(plannedAfter)} s, every one settled after ` +
        `${secs(settledAfter)} s`,
    );
    console.log("seconds from the post to provider acceptance");
    console.log(["channel", "n", "first", "p50", "p95", "max"].join("\t"));
    for (const [channel, sorted] of Object.entries({ ...acceptedMs, all })) {
      const row = [sorted[0], percentile(sorted, 50), percentile(sorted, 95), sorted.at(-1)];
      console.log([channel, sorted.length, ...row.map(secs)].join("\t"));
    }
    const outbox = [...statuses].sort().map(([k, v]) => `${k} ${v.length}`).join(", ");
    const delivered = rows.filter((r) => r.delivery_status === "delivered").length;
    console.log(`outbox: ${outbox}; texts reported delivered by then ${delivered}`);
    console.log(
      `twilio: ${fakes.smsCalls} sends (${fakes.smsRefused} not 201), ${fakes.lookups} ` +
        `lookups of texts in doubt; resend: ${fakes.emailCalls} calls (${fakes.throttled} ` +
        `answered 429, ${fakes.replays} replays)`,
    );
    console.log(
      `attempts retried ${attempts.retried}${
        attempts.errors ? ` (${attempts.errors.slice(0, 160)})` : ""
      }, found already sent ${attempts.reconciled}`,
    );
    console.log(
      `reminders expected ${smsPhones.size + emailKeys.size} (sms ${smsPhones.size}, ` +
        `email ${emailKeys.size}), accepted sms ${fakes.sms.size}, ` +
        `email ${fakes.email.size}, lost ${lost}, duplicated ${fakes.duplicated}`,
    );
    return lost === 0 && fakes.duplicated === 0 && smsPhones.size + emailKeys.size === APPOINTMENTS;
  } finally {
    await Promise.all([resend.latency(0), twilio.latency(0), statusCallbacks(true)]);
    await sql.end();
  }
}
