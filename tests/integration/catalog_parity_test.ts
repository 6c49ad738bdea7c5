/**
 * One name for one thing: the lists the database checks and the TypeScript unions the code
 * is typed with must be the same lists, or a value one side writes is refused by the other.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { CHANNELS, OUTBOX_STATUSES } from "../../shared/outbox/store.ts";
import { ACTIVITY_TYPES } from "../../shared/leads/types.ts";
import { CATALOG, MESSAGE_KIND_NAMES } from "../../shared/messages/catalog.ts";

await requireStack();

/** The quoted values of a check constraint such as `check (x in ('a', 'b'))`. */
async function checkedValues(sql: ReturnType<typeof connect>, table: string, constraint: string) {
  const [row] = await sql`
    select pg_get_constraintdef(c.oid) as def from pg_constraint c
    where c.conrelid = ${`public.${table}`}::regclass and c.conname = ${constraint}`;
  assert.ok(row, `${table} has a constraint ${constraint}`);
  return [...(row.def as string).matchAll(/'([^']+)'/g)].map((m) => m[1]).sort();
}

Deno.test("the SQL check lists and the TypeScript unions name the same values", async (t) => {
  const sql = connect();
  try {
    await t.step("outbox statuses", async () => {
      assert.deepEqual(
        await checkedValues(sql, "notifications_outbox", "notifications_outbox_status_check"),
        [...OUTBOX_STATUSES].sort(),
      );
    });
    await t.step("outbox channels", async () => {
      assert.deepEqual(
        await checkedValues(sql, "notifications_outbox", "notifications_outbox_channel_check"),
        [...CHANNELS].sort(),
      );
    });
    await t.step("activity types", async () => {
      assert.deepEqual(
        await checkedValues(sql, "lead_activities", "lead_activities_activity_type_check"),
        [...ACTIVITY_TYPES].sort(),
      );
    });
  } finally {
    await sql.end();
  }
});

Deno.test("public.message_kinds lists exactly the catalog's kinds, channels and audiences", async () => {
  const sql = connect();
  try {
    const rows = await sql`
      select kind, channel, audience, description from public.message_kinds order by kind`;
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [...MESSAGE_KIND_NAMES].sort().map((kind) => ({
        kind,
        channel: CATALOG[kind].channel,
        audience: CATALOG[kind].audience,
        description: CATALOG[kind].description,
      })),
    );
  } finally {
    await sql.end();
  }
});

Deno.test("an outbox row naming a kind the catalog does not know is refused", async () => {
  const sql = connect();
  try {
    await assert.rejects(
      sql`insert into public.notifications_outbox (key, channel, template)
          values (${`parity:${crypto.randomUUID()}`}, 'email', 'no_such_kind')`,
      /notifications_outbox_template_fkey/,
    );
  } finally {
    await sql.end();
  }
});
