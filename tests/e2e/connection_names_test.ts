/**
 * Each function's database connections carry its name (application_name), so an admin sees in
 * the dashboard (pg_stat_activity) which function holds which connections.
 */
import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";

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
