/** Calls notify-lead over HTTP as the database and pg_cron do. */
import type postgres from "postgres";
import { stack } from "./stack.ts";
import { insertLead, type LeadInput } from "./fixtures.ts";
import { switches } from "./fakes.ts";
import { waitFor } from "./wait_for.ts";
import { planLeadsNotifications } from "../../shared/notify_lead/plan.ts";
import { messageSetup, type SendingConfig } from "../../shared/messages/setup.ts";
import { notifyLeadConfigSchema, parseConfig } from "../../shared/platform/config.ts";
import { functionEnv } from "../../supabase/local/local_env.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

// Where most tests found them; shared_state.ts is where every shared change is made.
export { allowRepeatSubmissions, smsWindowAlwaysOpen } from "./shared_state.ts";

export const WEBHOOK_SECRET = PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET;

/** notify-lead's configuration on the test stack (fake providers), plus `overrides`. */
export function notifyLeadConfig(
  overrides: Record<string, string> = {},
): SendingConfig {
  const env = functionEnv({}, {
    apiUrl: stack.apiUrl,
    dbUrl: stack.dbUrl,
    twilioUrl: stack.twilioUrl,
    resendUrl: stack.resendUrl,
    sendgridUrl: stack.sendgridUrl,
  });
  return parseConfig(notifyLeadConfigSchema, { ...env, ...overrides });
}

/** Plans a lead's messages as notify-lead does on the test stack. */
export function planAsNotifyLead(sql: postgres.Sql, leadId: string) {
  return planLeadsNotifications(sql, [leadId], {
    setup: messageSetup(notifyLeadConfig()),
    now: new Date(),
  });
}

export function postToNotifyLead(
  path: string,
  body: string,
  headers: Record<string, string> = { "x-webhook-secret": WEBHOOK_SECRET },
) {
  return fetch(`${stack.functionsUrl}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** The database-webhook payload for a lead row, as the trigger sends it. */
export async function webhookPayloadFor(sql: postgres.Sql, leadId: string) {
  const [{ record }] =
    await sql`select to_jsonb(l) as record from public.leads l where id = ${leadId}`;
  return JSON.stringify({
    type: "INSERT",
    table: "leads",
    schema: "public",
    record,
    old_record: null,
  });
}

/** Runs the sweep now (as pg_cron would) and returns its report. */
export async function sweep(opts: { graceSeconds?: number } = {}) {
  const res = await postToNotifyLead(
    "notify-lead/sweep",
    JSON.stringify({ grace_seconds: opts.graceSeconds ?? 0 }),
  );
  if (res.status !== 200) {
    throw new Error(`sweep answered ${res.status}: ${await res.text()}`);
  }
  return await res.json();
}

/** A lead's outbox rows, keyed by template, once `count` of them have reached a final state. */
export async function settledOutbox(
  sql: postgres.Sql,
  leadId: string,
  count: number,
) {
  return await waitFor(
    `lead ${leadId}'s ${count} messages to settle`,
    async () => {
      const rows = await outboxOf(sql, leadId);
      const done = Object.values(rows).filter((r) =>
        ["sent", "dead", "suppressed", "deferred"].includes(r.status)
      );
      return done.length === count ? rows : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

/** Outbox rows of a lead, keyed by template. */
export async function outboxOf(sql: postgres.Sql, leadId: string) {
  const rows =
    await sql`select * from public.notifications_outbox where lead_id = ${leadId} order by id`;
  return Object.fromEntries(
    rows.map((r) => [r.template as string, r]),
  ) as Record<
    string,
    postgres.Row
  >;
}

/**
 * Sets a scene the webhook must not disturb: with pg_net held back, inserts a lead, plans its
 * messages (unless `plan: false`), lets `arrange` change rows, then lets the webhook go.
 */
export async function arrangeLead(
  sql: postgres.Sql,
  overrides: LeadInput,
  arrange: (lead: Awaited<ReturnType<typeof insertLead>>) => Promise<void> = async () => {},
  opts: { plan?: boolean } = {},
) {
  await switches.pgNetPaused(true);
  try {
    const lead = await insertLead(sql, overrides);
    if (opts.plan !== false) {
      await planAsNotifyLead(sql, lead.id);
    }
    await arrange(lead);
    return lead;
  } finally {
    await switches.pgNetPaused(false);
  }
}

/**
 * Runs `body` with pg_cron's sweep paused, and resumes it after, even on failure: for tests
 * whose outcome another lead planned meanwhile (one the sweep picks up from an earlier test)
 * would change, such as whose turn it is.
 */
export async function withSweepPaused<T>(sql: postgres.Sql, body: () => Promise<T>): Promise<T> {
  const pause = (active: boolean) =>
    sql`select cron.alter_job(jobid, active => ${active}) from cron.job
        where jobname = 'leadwire-outbox-sweep'`;
  await pause(false);
  try {
    return await body();
  } finally {
    await pause(true);
  }
}

/**
 * Waits until every lead of the last 10 minutes is planned: a test about to change who gets
 * leads, or to count an outbox, first lets the leads earlier tests left in flight land.
 */
export async function earlierLeadsPlanned(sql: postgres.Sql): Promise<void> {
  await waitFor("every lead to be planned", async () => {
    // global: on purpose, every test's leads; a wait before a roster change, never an assertion.
    const [{ unplanned }] = await sql`select count(*)::int as unplanned from public.leads
      where notifications_planned_at is null and created_at > now() - interval '10 minutes'`;
    return unplanned === 0;
  });
}
