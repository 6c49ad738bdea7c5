/**
 * PostgreSQL restarts while providers hold accepted messages whose answers have not come
 * back: once the database is up again, each answer is recorded, nothing is sent twice and
 * nothing is lost. "fast" is an operator's restart; "immediate" is a crash with WAL replay.
 */
import assert from "node:assert/strict";
import { connect, requireStack, restartPostgres } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo, smsTo, twilio } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen, sweep } from "../support/notify_lead.ts";
import { addFault } from "../support/shared_state.ts";

await requireStack();

for (const how of ["fast", "immediate"] as const) {
  Deno.test(`PostgreSQL restarted (-m ${how}) with SMS accepted but unanswered: each lead gets one of each message`, async () => {
    const sql = connect();
    try {
      await using _window = await smsWindowAlwaysOpen(sql);
      // Twilio accepts at once and answers 1.5 s later: the restart falls in between.
      await using _fault = await addFault("twilio", {
        path: "/Messages.json",
        times: 3,
        acceptFirst: true,
        delayMs: 1_500,
      });
      const leads = await Promise.all([1, 2, 3].map(() => insertLead(sql)));
      const phones = leads.map((l) => l.phone_e164);
      await waitFor("Twilio to accept a text of ours", async () => {
        const texts = await twilio.messages();
        return texts.some((t) => phones.includes(t.to));
      }, { intervalMs: 20 });
      await restartPostgres(how);
      // pg_net's queue does not survive a crash: a webhook lost with it is the sweep's, which
      // pg_cron runs every minute. Run it now rather than wait for the minute to turn.
      await sweep();

      const after = connect();
      try {
        for (const lead of leads) {
          const outbox = await settledOutbox(after, lead.id, 3);
          for (const row of Object.values(outbox)) assert.equal(row.status, "sent", row.template);
          assert.equal((await smsTo(lead.phone_e164)).length, 1, `one SMS to ${lead.id}`);
          assert.equal((await emailsTo(lead.email)).length, 1, `one email to ${lead.id}`);
          const [{ n }] = await after`
            select count(*)::int as n from public.lead_activities
            where lead_id = ${lead.id} and activity_type in ('sms_sent', 'email_sent')`;
          assert.equal(n, 3, "every sent message is on the timeline");
        }
      } finally {
        await after.end();
      }
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  });
}
