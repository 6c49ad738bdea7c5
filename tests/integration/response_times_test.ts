/**
 * The speed-to-lead views: seconds from a lead to its first staff action, and per day the
 * median and the shares answered within 5 and 15 minutes. Each case runs in a transaction that
 * is rolled back, on leads dated on a day no other test uses.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";
import { newLead } from "../support/fixtures.ts";

await requireStack();

// 10:00 in Denver on a day long past.
const DAY_START = new Date("2020-03-04T17:00:00Z");
const at = (seconds: number) => new Date(DAY_START.getTime() + seconds * 1000);

async function leadAt(tx: postgres.TransactionSql, extra: Record<string, unknown> = {}) {
  const [row] = await tx`insert into public.leads ${
    tx({ ...newLead(), created_at: DAY_START, ...extra })
  }
    returning id`;
  return row.id as string;
}

async function activity(
  tx: postgres.TransactionSql,
  leadId: string,
  type: string,
  seconds: number,
) {
  await tx`insert into public.lead_activities (lead_id, activity_type, description, created_at)
    values (${leadId}, ${type}, ${type}, ${at(seconds)})`;
}

Deno.test("lead_response_times and daily_response_times count from the lead to the first staff action", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const claimed = await leadAt(tx);
      await activity(tx, claimed, "email_sent", 5); // the system's own rows do not count
      await activity(tx, claimed, "lead_claimed", 120);
      await activity(tx, claimed, "call_made", 200);
      const called = await leadAt(tx);
      await activity(tx, called, "call_made", 600);
      const waiting = await leadAt(tx, { escalated_at: at(900) });
      await activity(tx, waiting, "sms_sent", 3);
      const repeat = await leadAt(tx, { duplicate_of: claimed });
      await activity(tx, repeat, "call_made", 30);

      const perLead = await tx`
        select lead_id, first_staff_action, seconds_to_first_action, escalated, duplicate
        from public.lead_response_times
        where lead_id = any (${[claimed, called, waiting, repeat]}::uuid[])`;
      const byId = new Map(perLead.map((r) => [r.lead_id, r]));
      assert.deepEqual(
        [claimed, called, waiting, repeat].map((id) => {
          const r = byId.get(id)!;
          return [r.first_staff_action, r.seconds_to_first_action, r.escalated, r.duplicate];
        }),
        [
          ["lead_claimed", 120, false, false],
          ["call_made", 600, false, false],
          [null, null, true, false],
          ["call_made", 30, false, true],
        ],
      );
      const [day] = await tx`
        select leads::int, answered::int, median_seconds, share_within_5_min::float8 as within_5,
          share_within_15_min::float8 as within_15, escalated::int
        from public.daily_response_times where day = '2020-03-04'`;
      assert.deepEqual({ ...day }, {
        leads: 3,
        answered: 2,
        median_seconds: 360,
        within_5: 0.333,
        within_15: 0.667,
        escalated: 1,
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("anon and authenticated cannot read the response-time views", async (t) => {
  const sql = connect();
  try {
    for (const role of ["anon", "authenticated"]) {
      for (const view of ["lead_response_times", "daily_response_times"]) {
        await t.step(`${role}: ${view}`, async () => {
          await assert.rejects(
            inRollback(sql, async (tx) => {
              await tx.unsafe(`set local role ${role}`);
              await tx.unsafe(`select * from public.${view}`);
            }),
            /permission denied/,
          );
        });
      }
    }
  } finally {
    await sql.end();
  }
});
