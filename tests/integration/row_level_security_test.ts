import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";
import { newLead } from "../support/fixtures.ts";

await requireStack();

/** Runs fn as the given API role inside a transaction that is always rolled back. */
async function asRole<T>(
  sql: postgres.Sql,
  role: string,
  fn: (tx: postgres.TransactionSql) => Promise<T>,
) {
  return await inRollback(sql, async (tx) => {
    await tx.unsafe(`set local role ${role}`);
    return await fn(tx);
  });
}

Deno.test("anon can insert a valid lead, and the database fills in reference number and consent time", async () => {
  const sql = connect();
  try {
    const lead = newLead();
    await asRole(sql, "anon", (tx) => tx`insert into public.leads ${tx(lead)}`);
    // Not visible afterwards (rolled back), so prove the defaults as the superuser in a rolled-back tx.
    await inRollback(sql, async (tx) => {
      const [row] = await tx`insert into public.leads ${
        tx(lead)
      } returning reference_number, sms_consent_at, sms_consent_source`;
      assert.match(row.reference_number, /^PAG-\d{6}-\d{4,}$/);
      assert.ok(row.sms_consent_at instanceof Date);
      assert.equal(row.sms_consent_source, "web_form_checkbox");
      const [consent] =
        await tx`select may_text from public.sms_consent_status where phone_e164 = ${lead.phone_e164}`;
      assert.equal(consent.may_text, true);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("anon cannot read any table or view in public", async (t) => {
  const sql = connect();
  try {
    const relations = await sql<{ name: string }[]>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'v', 'm') order by 1`;
    assert.ok(
      relations.length >= 7,
      `expected the schema's tables, got ${relations.map((r) => r.name)}`,
    );
    for (const { name } of relations) {
      await t.step(name, async () => {
        await assert.rejects(
          asRole(sql, "anon", (tx) => tx.unsafe(`select * from public.${name} limit 1`)),
          /permission denied/,
        );
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("anon cannot write anything but a lead, nor set the columns the database owns", async (t) => {
  const sql = connect();
  try {
    await t.step("reference_number", async () => {
      await assert.rejects(
        asRole(
          sql,
          "anon",
          (tx) => tx`insert into public.leads ${tx({ ...newLead(), reference_number: "X-1" })}`,
        ),
        /permission denied/,
      );
    });
    await t.step("lead_activities", async () => {
      await assert.rejects(
        asRole(
          sql,
          "anon",
          (tx) =>
            tx`insert into public.lead_activities (activity_type, description) values ('call_made', 'x')`,
        ),
        /permission denied/,
      );
    });
    await t.step("notifications_outbox", async () => {
      await assert.rejects(
        asRole(
          sql,
          "anon",
          (tx) =>
            tx`insert into public.notifications_outbox (key, channel, template) values ('k', 'email', 't')`,
        ),
        /permission denied/,
      );
    });
    await t.step("update of a lead", async () => {
      await assert.rejects(
        asRole(sql, "anon", (tx) => tx`update public.leads set status = 'lost'`),
        /permission denied/,
      );
    });
    await t.step("vault secrets", async () => {
      await assert.rejects(
        asRole(sql, "anon", (tx) => tx`select * from vault.decrypted_secrets`),
        /permission denied/,
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a malformed lead is refused with a message a form can show, naming the field", async (t) => {
  const sql = connect();
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      "bad email",
      { email: "not-an-email" },
      "email",
      /Email "not-an-email" is not a valid email address/,
    ],
    [
      "bad phone",
      { phone_e164: "720-555-1234", sms_consent: false },
      "phone_e164",
      /not a valid phone number/,
    ],
    [
      "no contact",
      { email: null, phone_e164: null, sms_consent: false },
      "email",
      /email address or a phone number/,
    ],
    ["blank name", { first_name: "  " }, "first_name", /first name/],
    ["unknown service", { service_type: "detailing" }, "service_type", /not one we offer/],
    ["silly year", { vehicle_year: 1800 }, "vehicle_year", /not a real model year/],
    ["bad zip", { zip: "8020" }, "zip", /ZIP code "8020" is not valid/],
    [
      "consent without phone",
      { phone_e164: null, sms_consent: true },
      "sms_consent",
      /needs a phone number/,
    ],
  ];
  try {
    for (const [name, overrides, column, message] of cases) {
      await t.step(name, async () => {
        const err = await asRole(
          sql,
          "anon",
          (tx) => tx`insert into public.leads ${tx(newLead(overrides))}`,
        )
          .then(() => undefined, (e) => e as postgres.PostgresError);
        assert.ok(err, "the insert should have been refused");
        assert.equal(err.code, "23514");
        assert.match(err.message, message);
        assert.equal(err.column_name, column);
        assert.match(err.hint ?? "", /Example of a valid/);
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("anon and authenticated may execute submit_lead and no other function in public", async () => {
  const sql = connect();
  try {
    for (const role of ["anon", "authenticated"]) {
      const rows = await sql<{ fn: string }[]>`
        select p.oid::regprocedure::text as fn
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'public' and has_function_privilege(${role}, p.oid, 'execute')
        order by 1`;
      assert.deepEqual(
        rows.map((r) => r.fn.replace(/\(.*/, "")),
        ["submit_lead"],
        `${role} may execute: ${rows.map((r) => r.fn).join(", ")}`,
      );
    }
    await assert.rejects(
      asRole(sql, "anon", (tx) => tx`select public.next_lead_reference()`),
      /permission denied for function next_lead_reference/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("a form's direct insert still gets its reference number from the database, with no function of its own to call", async () => {
  const sql = connect();
  try {
    const lead = newLead();
    const [saved] = await inRollback(sql, async (tx) => {
      await tx.unsafe("set local role anon");
      await tx`insert into public.leads ${tx(lead)}`;
      await tx.unsafe("reset role");
      return await tx`select reference_number from public.leads where email = ${lead.email}`;
    });
    assert.match(saved.reference_number, /^PAG-\d{6}-\d{4,}$/);
  } finally {
    await sql.end();
  }
});
