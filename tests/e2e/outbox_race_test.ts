import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { resend, switches } from "../support/fakes.ts";
import { type DrainDeps, drainOutbox } from "../../shared/outbox/drain.ts";
import { drainDeps } from "../../shared/messages/wiring.ts";
import { notifyLeadConfig, planAsNotifyLead } from "../support/notify_lead.ts";

await requireStack();

/** A drainer as a separate function instance would be: its own pool, clients and rate limiter. */
function drainer(): DrainDeps {
  return drainDeps(notifyLeadConfig(), connect({ max: 4 }));
}

Deno.test("two drainers racing over 200 due rows send each message exactly once", async () => {
  const sql = connect();
  const a = drainer();
  const b = drainer();
  try {
    // Keep the stack's own webhook and cron sweep out of it: only our two drainers send.
    await switches.pgNetPaused(true);
    const leads = [];
    for (let i = 0; i < 100; i++) leads.push(await insertLead(sql, { sms_consent: false }));
    for (const lead of leads) {
      await planAsNotifyLead(sql, lead.id);
    }
    const keys = (await sql`
      select key from public.notifications_outbox
      where lead_id = any (${sql.array(leads.map((l) => l.id))}::uuid[]) and status = 'pending'`)
      .map((r) => r.key as string);
    assert.equal(keys.length, 200);

    // Connected before the start (a pool's first connection costs a SCRAM handshake), and small
    // claims, so the two really interleave; lingering lets each ride out the other's 429s.
    await Promise.all([a.sql`select 1`, b.sql`select 1`]);
    const [statsA, statsB] = await Promise.all([
      drainOutbox(a, { claimLimit: 10, lingerMs: 5_000, onlyKeys: keys }),
      drainOutbox(b, { claimLimit: 10, lingerMs: 5_000, onlyKeys: keys }),
    ]);
    assert.ok(
      statsA.sent > 0 && statsB.sent > 0,
      `both drainers sent (${statsA.sent} + ${statsB.sent})`,
    );
    assert.equal(statsA.sent + statsB.sent, 200);

    const accepted = (await resend.emails()).map((e) => e.headers?.["X-Entity-Ref-ID"]).filter((
      k,
    ) => k && keys.includes(k));
    assert.equal(accepted.length, 200, "200 emails accepted");
    assert.equal(new Set(accepted).size, 200, "no key accepted twice");
    const [{ sent }] =
      await sql`select count(*)::int as sent from public.notifications_outbox where key = any (${
        sql.array(keys)
      }) and status = 'sent'`;
    assert.equal(sent, 200);
  } finally {
    await switches.pgNetPaused(false);
    await Promise.all([a.sql.end(), b.sql.end(), sql.end()]);
  }
});
