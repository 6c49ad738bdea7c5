/**
 * faults [leads]: the crash table of the exactly-once issue, re-measured. Each run commits 200
 * leads (or as many as given) at once, injects one fault at a protocol event (not a guessed
 * moment), and waits until every lead is settled, with pg_cron's sweep, not the bench, doing
 * the recovery. The fakes live outside the functions and record every message they accept:
 * lost = a lead with no accepted message of a kind; duplicated = accepted more than once.
 * Full recovery counts from the fault to the last message accepted.
 */
import { connect, restartPostgres } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { resend, switches, twilio } from "../support/fakes.ts";
import { smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { waitFor } from "../support/wait_for.ts";

const DEFAULT_LEADS = 200;
const LATENCY_MS = 150;
const KINDS = [
  "customer_confirmation_email",
  "staff_new_lead_email",
  "initial_confirmation_sms",
];

type Sql = ReturnType<typeof connect>;

interface Fault {
  name: string;
  /** Arms the providers before the insert. */
  arm?: () => Promise<unknown>;
  /** Resolves at the protocol event the fault waits for. */
  when: (phones: Set<string>) => Promise<unknown>;
  inject: () => Promise<unknown>;
}

const accepted = {
  async sms(phones: Set<string>) {
    return (await twilio.messages()).filter((m) => phones.has(m.to)).length;
  },
  async batchCalls() {
    return (await resend.requests()).filter((r) => r.path === "/emails/batch")
      .length;
  },
};

const afterMs = (ms: number) => () => new Promise((r) => setTimeout(r, ms));
const untilSmsAccepted = (phones: Set<string>) =>
  waitFor(
    "Twilio to accept a text",
    async () => (await accepted.sms(phones)) > 0,
    {
      intervalMs: 5,
    },
  );
const untilBatchAccepted = () =>
  waitFor(
    "Resend to accept a batch",
    async () => (await accepted.batchCalls()) > 0,
    {
      intervalMs: 5,
    },
  );
// Answers held after acceptance, so the fault lands between "accepted" and "recorded".
const holdTwilioAnswers = () =>
  twilio.fault({
    path: "/Messages.json",
    times: 40,
    acceptFirst: true,
    delayMs: 1_000,
  });
const holdResendAnswers = () =>
  resend.fault({
    path: "/emails/batch",
    times: 2,
    acceptFirst: true,
    delayMs: 1_000,
  });

const FAULTS: Fault[] = [
  {
    name: "functions killed 1.5 s after the insert",
    when: afterMs(1_500),
    inject: () => switches.killFunctions(),
  },
  {
    name: "functions killed with SMS accepted, answers on the wire",
    arm: holdTwilioAnswers,
    when: untilSmsAccepted,
    inject: () => switches.killFunctions(),
  },
  {
    name: "notify-lead's workers at the hard CPU limit with SMS answers on the wire",
    arm: holdTwilioAnswers,
    when: untilSmsAccepted,
    inject: () => switches.exhaustFunction("notify-lead"),
  },
  {
    name: "functions killed 20 ms after a batch reached Resend",
    arm: holdResendAnswers,
    when: () => untilBatchAccepted().then(afterMs(20)),
    inject: () => switches.killFunctions(),
  },
  {
    name: "PostgreSQL restarted (-m fast) with SMS answers on the wire",
    arm: holdTwilioAnswers,
    when: untilSmsAccepted,
    inject: () => restartPostgres("fast"),
  },
  {
    name: "PostgreSQL restarted (-m immediate) with a batch on the wire",
    arm: holdResendAnswers,
    when: untilBatchAccepted,
    inject: () => restartPostgres("immediate"),
  },
];

/** Every lead planned, and none of its messages still waiting or on the wire. */
async function settled(sql: Sql, ids: string[]) {
  const [{ open }] = await sql`
    select count(*)::int as open from public.leads l
    where l.id = any (${ids}::uuid[])
      and (l.notifications_planned_at is null or exists (
        select from public.notifications_outbox o
        where o.lead_id = l.id and o.status in ('pending', 'sending', 'retry')))`;
  return open === 0;
}

/** Accepted messages per lead and kind, counted at the fakes. */
async function countAccepted(
  leads: Array<{ email: string; phone: string; ref: string }>,
) {
  const counts = new Map<string, number>(); // `${ref} ${kind}` → accepted
  const add = (ref: string, kind: string, at: number) => {
    counts.set(`${ref} ${kind}`, (counts.get(`${ref} ${kind}`) ?? 0) + 1);
    return at;
  };
  const byEmail = new Map(leads.map((l) => [l.email, l.ref]));
  const byPhone = new Map(leads.map((l) => [l.phone, l.ref]));
  let last = 0;
  for (const e of await resend.emails()) {
    const at = Date.parse(e.created_at);
    const to = e.to[0];
    if (byEmail.has(to)) {
      last = Math.max(last, add(byEmail.get(to)!, KINDS[0], at));
    }
    // The staff alert goes to the lead's assignee on shift, or to the admin inbox.
    const ref = leads.find((l) => e.html?.includes(l.ref))?.ref;
    if (!byEmail.has(to) && ref) {
      last = Math.max(last, add(ref, KINDS[1], at));
    }
  }
  for (const m of await twilio.messages()) {
    if (byPhone.has(m.to)) {
      last = Math.max(
        last,
        add(byPhone.get(m.to)!, KINDS[2], Date.parse(m.date_created)),
      );
    }
  }
  let lost = 0;
  let duplicated = 0;
  const lostKinds = new Set<string>();
  for (const lead of leads) {
    for (const kind of KINDS) {
      const n = counts.get(`${lead.ref} ${kind}`) ?? 0;
      if (n === 0) {
        lost++;
        lostKinds.add(kind);
      }
      if (n > 1) duplicated += n - 1;
    }
  }
  return { lost, duplicated, last, lostKinds: [...lostKinds] };
}

async function run(sql: Sql, fault: Fault, count: number) {
  await Promise.all([resend.reset(), twilio.reset()]);
  await Promise.all([resend.latency(LATENCY_MS), twilio.latency(LATENCY_MS)]);
  await fault.arm?.();
  const exchange = 200 + Math.floor(Math.random() * 800);
  const leads = Array.from({ length: count }, (_, i) =>
    newLead({
      sms_consent: true,
      email: `lead${i}.${exchange}@example.com`,
      phone_e164: `+1720${exchange}${String(i).padStart(4, "0")}`,
    }));
  const rows = await sql`insert into public.leads ${sql(leads)} returning id, reference_number`;
  const ids = rows.map((r) => r.id as string);
  const phones = new Set(leads.map((l) => l.phone_e164!));
  await fault.when(phones);
  const faultAt = Date.now();
  await fault.inject();
  const after = connect({ max: 2 });
  try {
    await waitFor("every lead to settle", () => settled(after, ids), {
      timeoutMs: 300_000,
      intervalMs: 250,
    });
  } finally {
    await after.end();
  }
  const { lost, duplicated, last, lostKinds } = await countAccepted(
    leads.map((l, i) => ({
      email: l.email!,
      phone: l.phone_e164!,
      ref: rows[i].reference_number as string,
    })),
  );
  return {
    lost,
    lostKinds,
    duplicated,
    recoverySeconds: Math.max(0, last - faultAt) / 1000,
  };
}

export async function faults(args: string[] = []): Promise<boolean> {
  const count = args[0] ? Number(args[0]) : DEFAULT_LEADS;
  if (!Number.isInteger(count) || count < 1 || count > 9_999) {
    throw new TypeError(
      `faults: "${args[0]}" is not a number of leads (1–9999)`,
    );
  }
  console.log(
    `faults: ${count} leads per run, ${count * KINDS.length} messages expected`,
  );
  console.log("| fault | lost | duplicated | full recovery |");
  console.log("|---|---|---|---|");
  let clean = true;
  for (const fault of FAULTS) {
    const sql = connect({ max: 2 });
    try {
      await smsWindowAlwaysOpen(sql);
      const r = await run(sql, fault, count);
      clean &&= r.lost === 0 && r.duplicated === 0;
      console.log(
        `| ${fault.name} | ${r.lost}${
          r.lost > 0 ? ` (${r.lostKinds.join(", ")})` : ""
        } | ${r.duplicated} | ${r.recoverySeconds.toFixed(1)} s |`,
      );
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
  await Promise.all([resend.latency(0), twilio.latency(0)]);
  return clean;
}
