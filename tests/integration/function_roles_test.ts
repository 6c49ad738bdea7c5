/**
 * Each function's login role (migration 20261207002000_function_roles.sql), connected as the
 * function connects (its local `<FUNCTION>_DB_URL`): what it may not do is refused by
 * PostgreSQL itself, whatever a bug in the function's code would try.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { connect, requireStack, stack } from "../support/stack.ts";
import { functionRole, functionRoleUrl } from "../../supabase/local/local_env.ts";
import type { FunctionName } from "../../shared/platform/config.ts";
import { FIRST_TEXT_HOLD } from "../../shared/notify_lead/first_texts.ts";

await requireStack();

const FUNCTIONS: FunctionName[] = [
  "notify-lead",
  "send-reminders",
  "twilio-inbound",
  "resend-events",
  "sendgrid-events",
  "lead-action",
  "health",
];
const PUBLIC_ENDPOINTS: FunctionName[] = [
  "twilio-inbound",
  "resend-events",
  "sendgrid-events",
  "lead-action",
];

/** Runs `body` connected as `fn`'s login role, in a transaction that is always rolled back. */
async function asFunction<T>(
  fn: FunctionName,
  body: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  const sql = postgres(functionRoleUrl(stack.dbUrl, fn), {
    max: 1,
    onnotice: () => {},
    connect_timeout: 5,
  });
  const rolledBack = new Error("rolled back");
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await body(tx);
      throw rolledBack;
    }).catch((err) => {
      if (err !== rolledBack) throw err;
    });
    return result as T;
  } finally {
    await sql.end();
  }
}

/** The statement fails with PostgreSQL's "permission denied" (42501), nothing else. */
async function refused(fn: FunctionName, statement: (tx: postgres.TransactionSql) => unknown) {
  await assert.rejects(
    asFunction(fn, async (tx) => {
      await statement(tx);
    }),
    (err: { code?: string; message?: string }) => {
      assert.equal(err.code, "42501", `${fn}: expected permission denied, got ${err.message}`);
      return true;
    },
  );
}

Deno.test("the health role cannot read leads, the outbox or settings, and reads its figures through health_snapshot()", async () => {
  await refused("health", (tx) => tx`select id from public.leads limit 1`);
  // global: refused before any row is counted; the count's value is never read.
  await refused("health", (tx) => tx`select count(*) from public.leads`);
  await refused("health", (tx) => tx`select recipient from public.notifications_outbox limit 1`);
  await refused("health", (tx) => tx`update public.business_settings set sms_daily_cap = 99`);
  const figures = await asFunction(
    "health",
    async (tx) => (await tx`select public.health_snapshot(${FIRST_TEXT_HOLD}) as f`)[0].f,
  );
  assert.equal(typeof figures.outbox.queue_depth, "number");
  assert.equal(typeof figures.per_hour, "number");
});

Deno.test("the health role reads the day's SMS spend and the email circuits only through health_snapshot()", async () => {
  await refused("health", (tx) => tx`select spent_usd from public.sms_spend_today`);
  await refused("health", (tx) => tx`select state from public.provider_circuits`);
  await refused("health", (tx) => tx`select provider from public.provider_health`);
  const figures = await asFunction(
    "health",
    async (tx) => (await tx`select public.health_snapshot(${FIRST_TEXT_HOLD}) as f`)[0].f,
  );
  assert.ok(Number(figures.sms_spend.budgetUsd) >= 0, JSON.stringify(figures.sms_spend));
  assert.ok(Number(figures.sms_spend.spentUsd) >= 0, JSON.stringify(figures.sms_spend));
  const resend = figures.providers.find((p: { provider: string }) => p.provider === "resend");
  assert.ok(["closed", "open", "half_open"].includes(resend?.circuit), JSON.stringify(resend));
});

Deno.test("the senders' roles read the day's spend, learn a provider's limit and move its circuit, but cannot change the circuit's settings", async () => {
  for (const fn of ["notify-lead", "send-reminders", "twilio-inbound"] as FunctionName[]) {
    await asFunction(fn, async (tx) => {
      await tx`select spent_usd, budget_spent from public.sms_spend_today`;
      await tx`select public.learn_provider_limit('roles-test', 7)`;
      const [slot] = await tx`select * from public.take_provider_slot('roles-test', 1, 1000)`;
      assert.ok(slot.slot_id !== null, `${fn} took a slot`);
      await tx`select public.provider_pause_ms('twilio')`;
      // The transaction is rolled back: the shared circuit is left as it was.
      await tx`select public.provider_circuit_allows('resend')`;
      await tx`select public.record_provider_call('resend', true)`;
    });
    await refused(fn, (tx) => tx`delete from public.provider_circuits`);
    await refused(fn, (tx) => tx`delete from public.provider_limits`);
  }
});

Deno.test("the public endpoints' roles cannot change business settings, staff or consent wording", async () => {
  for (const fn of PUBLIC_ENDPOINTS) {
    await refused(fn, (tx) => tx`update public.business_settings set sms_daily_cap = 99`);
    await refused(fn, (tx) => tx`update public.staff_members set active = false`);
    await refused(fn, (tx) => tx`insert into public.staff_members (full_name) values ('Mallory')`);
    await refused(fn, (tx) => tx`delete from public.staff_members`);
    await refused(
      fn,
      (tx) => tx`update public.sms_consent_wordings set wording = 'anything at all, twenty'`,
    );
  }
});

Deno.test("lead-action's role reads only a lead's reference and first name, and resend-events' none of a lead", async () => {
  await refused("lead-action", (tx) => tx`select email, phone_e164 from public.leads limit 1`);
  await refused("lead-action", (tx) => tx`update public.leads set first_name = 'x'`);
  await refused("lead-action", (tx) => tx`select payload from public.notifications_outbox limit 1`);
  await refused("resend-events", (tx) => tx`select first_name from public.leads limit 1`);
  await refused("resend-events", (tx) => tx`delete from public.email_suppressions`);
  await refused("sendgrid-events", (tx) => tx`select first_name from public.leads limit 1`);
  await refused("sendgrid-events", (tx) => tx`select payload from public.notifications_outbox`);
  await refused("sendgrid-events", (tx) => tx`delete from public.email_suppressions`);
  // Each email provider's webhook writes its own provider's events only.
  await refused(
    "sendgrid-events",
    (tx) =>
      tx`insert into public.resend_events (svix_id, event_type, payload) values ('x', 'y', '{}')`,
  );
  await refused(
    "resend-events",
    (tx) =>
      tx`insert into public.sendgrid_events (sg_event_id, event_type, payload)
        values ('x', 'y', '{}')`,
  );
  await asFunction("lead-action", (tx) =>
    tx`select reference_number, first_name from public.leads
    limit 1`);
});

Deno.test("the engine's roles cannot change settings or consent wording, nor staff but their turn", async () => {
  for (const fn of ["notify-lead", "send-reminders"] as FunctionName[]) {
    await refused(fn, (tx) => tx`update public.business_settings set sms_daily_cap = 99`);
    await refused(
      fn,
      (tx) => tx`update public.sms_consent_wordings set wording = 'anything at all, twenty'`,
    );
    await refused(fn, (tx) => tx`update public.staff_members set active = false`);
    await refused(fn, (tx) => tx`delete from public.leads`);
    await asFunction(fn, (tx) => tx`update public.staff_members set last_assigned_at = now()`);
  }
});

Deno.test("no function's role is a superuser, bypasses RLS, creates roles or owns anything in public", async () => {
  const sql = connect();
  try {
    const roles = FUNCTIONS.map((fn) => functionRole(fn).role);
    const rows = await sql<
      {
        rolname: string;
        rolsuper: boolean;
        rolbypassrls: boolean;
        rolcreaterole: boolean;
        owns: number;
        powerful: string[];
      }[]
    >`
      select r.rolname, r.rolsuper, r.rolbypassrls, r.rolcreaterole,
        (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and pg_has_role(r.oid, c.relowner, 'USAGE')) as owns,
        array(select p.rolname::text from pg_roles p
          where p.rolname in ('postgres', 'service_role', 'supabase_admin', 'authenticator')
            and pg_has_role(r.oid, p.oid, 'MEMBER')) as powerful
      from pg_roles r where r.rolname = any (${roles})
      order by r.rolname`;
    assert.equal(rows.length, roles.length, "every function has its login role");
    for (const r of rows) {
      assert.deepEqual(
        [r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.owns, r.powerful],
        [false, false, false, 0, []],
        r.rolname,
      );
    }
  } finally {
    await sql.end();
  }
});
