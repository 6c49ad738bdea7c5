/**
 * Each function's database connections carry its name (application_name), so an admin sees in
 * the dashboard (pg_stat_activity) which function holds which connections, and are made as
 * that function's own role (migration 20261207002000_function_roles.sql), never as postgres.
 */
import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { twilio } from "../support/fakes.ts";
import { WEBHOOK_SECRET } from "../support/notify_lead.ts";
import { signActionToken } from "../../shared/leads/action_links.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";
import { FUNCTION_DB_URL_VARIABLES, type FunctionName } from "../../shared/platform/config.ts";
import { FAKE_SENDGRID_API_KEY, functionRole } from "../../supabase/local/local_env.ts";

await requireStack();

Deno.test("after a lead and a health check, notify-lead's and health's connections are named after them", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql);
    await waitFor("the lead to be planned", async () => {
      const [l] = await sql`select notifications_planned_at from public.leads
        where id = ${lead.id}`;
      return l.notifications_planned_at ?? undefined;
    });
    const health = await fetch(`${stack.functionsUrl}/health`);
    await health.body?.cancel();
    assert.ok([200, 503].includes(health.status), `health answered ${health.status}`);
    const names = await waitFor("both functions' connections to be listed", async () => {
      const rows = await sql<{ application_name: string }[]>`
        select distinct application_name from pg_stat_activity
        where application_name in ('notify-lead', 'health')`;
      return rows.length === 2 ? rows.map((r) => r.application_name).sort() : undefined;
    });
    assert.deepEqual(names, ["health", "notify-lead"]);
  } finally {
    await sql.end();
  }
});

Deno.test("after every function has been used, each one's connections are its own role's, none postgres or a superuser", async () => {
  const sql = connect();
  const functions = Object.keys(FUNCTION_DB_URL_VARIABLES) as FunctionName[];
  try {
    // A worker retired at rest ends its connections (closePools), so the connections are
    // watched from before the first call, each poll adding what it sees, until every function
    // has been seen.
    const seen = new Map<
      string,
      { application_name: string; usename: string; rolsuper: boolean }
    >();
    const missing = () =>
      functions.filter((fn) => ![...seen.values()].some((r) => r.application_name === fn));
    const watching = waitFor(`every function's connections to be listed`, async () => {
      const rows = await sql<{ application_name: string; usename: string; rolsuper: boolean }[]>`
        select distinct a.application_name, a.usename::text, r.rolsuper
        from pg_stat_activity a join pg_roles r on r.oid = a.usesysid
        where a.application_name = any (${functions})`;
      for (const row of rows) seen.set(`${row.application_name} ${row.usename}`, row);
      return missing().length === 0;
    }, { timeoutMs: 60_000, intervalMs: 20 }).catch((err) => {
      throw new Error(`${err.message}; never seen: ${missing().join(", ")}`);
    });
    // notify-lead plans and sends the lead's messages; the fake Resend posts their delivery
    // events to resend-events.
    const lead = await insertLead(sql);
    const health = await fetch(`${stack.functionsUrl}/health`);
    await health.body?.cancel();
    const reminders = await fetch(`${stack.functionsUrl}/send-reminders`, {
      method: "POST",
      headers: { "x-webhook-secret": WEBHOOK_SECRET, "content-type": "application/json" },
      body: "{}",
    });
    await reminders.body?.cancel();
    assert.equal(reminders.status, 200, "send-reminders answered");
    const text = await twilio.inbound({ from: uniquePhone(), body: "Is Tuesday possible?" });
    assert.equal(text.status, 200, "twilio-inbound answered");
    const token = await signActionToken({
      id: crypto.randomUUID(),
      leadId: lead.id,
      staffId: null,
      action: "lead_claimed",
      expiresAt: new Date(Date.now() + 3600_000),
    }, PUBLISHED_SECRETS.LEAD_ACTION_SECRET);
    // Opening a link only shows its button; the button's POST records (and reads the lead).
    const action = await fetch(`${stack.functionsUrl}/lead-action?t=${token}`, { method: "POST" });
    await action.body?.cancel();
    assert.equal(action.status, 200, "lead-action recorded the action");

    // The fake SendGrid posts its signed events about an email sent straight to it (no email of
    // ours: sendgrid-events looks it up and keeps the events) to sendgrid-events.
    const sent = await fetch(`${stack.sendgridUrl}/v3/mail/send`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${FAKE_SENDGRID_API_KEY}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: `roles-${crypto.randomUUID()}@example.com` }] }],
        from: { email: "shop@example.com" },
        subject: "connection names",
        content: [{ type: "text/plain", value: "Which role posts SendGrid's events?" }],
      }),
    });
    await sent.body?.cancel();
    assert.equal(sent.status, 202, "the fake SendGrid accepted the email");

    await watching;
    for (const row of seen.values()) {
      const fn = row.application_name as FunctionName;
      assert.deepEqual(
        { user: row.usename, superuser: row.rolsuper },
        { user: functionRole(fn).role, superuser: false },
        fn,
      );
    }
  } finally {
    await sql.end();
  }
});
