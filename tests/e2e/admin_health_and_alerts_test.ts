/**
 * The health function over HTTP, the sweep's alerts and replaying dead letters. Health is
 * about the whole outbox, so these tests start from an empty one with pg_cron's sweep paused
 * (nothing else plans alerts meanwhile) and resume it when done.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack, stack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import {
  arrangeLead,
  earlierLeadsPlanned,
  smsWindowAlwaysOpen,
  sweep,
} from "../support/notify_lead.ts";
import { planAlerts } from "../../shared/admin/alerts.ts";
import { calm, snapshot } from "../support/health.ts";

await requireStack();

const HEALTH_URL = `${stack.functionsUrl}/health`;
const ADMIN = "admin@pinkautoglass.com";

/**
 * Pauses pg_cron's sweep and empties the outbox and the alerts; returns what resumes it. Leads
 * an earlier test left still being planned are waited for first: their rows would land after.
 */
async function quietOutbox(sql: postgres.Sql): Promise<() => Promise<void>> {
  await earlierLeadsPlanned(sql);
  await sql`select cron.alter_job(jobid, active => false) from cron.job
            where jobname = 'leadwire-outbox-sweep'`;
  await sql`delete from public.notifications_outbox`;
  await sql`delete from public.admin_alerts`;
  return async () => {
    await sql`select cron.alter_job(jobid, active => true) from cron.job
              where jobname = 'leadwire-outbox-sweep'`;
  };
}

async function health() {
  const res = await fetch(HEALTH_URL);
  const text = await res.text();
  assert.doesNotMatch(text, /@|\+1\d{10}/, "no address or phone in the health answer");
  const body = JSON.parse(text);
  return {
    code: res.status,
    status: body.status as string,
    problems: (body.problems as { condition: string }[]).map((p) => p.condition),
    body,
  };
}

/** Outbox rows about no lead, addressed to the admin: health counts them like any other. */
async function seed(
  sql: postgres.Sql,
  n: number,
  row: { status: string; delivery?: string; createdAgo?: string; dueIn?: string },
): Promise<number[]> {
  const ids = await sql<{ id: number }[]>`
    insert into public.notifications_outbox
      (key, channel, template, recipient, status, delivery_status, created_at, next_attempt_at,
       sent_at)
    select 'health-test:' || gen_random_uuid(), 'email', 'admin_alert_email', ${ADMIN},
      ${row.status}, ${row.delivery ?? null},
      now() - ${row.createdAgo ?? "0 seconds"}::interval,
      now() + ${row.dueIn ?? "1 day"}::interval,
      case when ${row.status} = 'sent' then now() end
    from generate_series(1, ${n})
    returning id`;
  return ids.map((r) => r.id);
}

Deno.test("health flips at each threshold, and its status code follows", async (t) => {
  const sql = connect();
  const resume = await quietOutbox(sql);
  try {
    await t.step("an empty outbox is healthy: 200", async () => {
      const h = await health();
      assert.deepEqual([h.code, h.status, h.problems], [200, "healthy", []]);
      assert.deepEqual(Object.keys(h.body.providers).sort(), [
        "resend",
        "sendgrid",
        "twilio",
        "webhooks",
      ]);
    });
    await t.step("one dead letter: failing, 503", async () => {
      const ids = await seed(sql, 1, { status: "dead" });
      const h = await health();
      assert.deepEqual([h.code, h.status, h.problems], [503, "failing", ["dead_letters"]]);
      assert.equal(h.body.outbox.dead_letters, 1);
      await sql`delete from public.notifications_outbox where id = any (${ids})`;
      assert.equal((await health()).code, 200);
    });
    await t.step("100 waiting is fine, 101 is a backlog", async () => {
      const ids = await seed(sql, 101, { status: "pending" });
      const over = await health();
      assert.deepEqual([over.code, over.problems], [503, ["backlog"]]);
      assert.equal(over.body.outbox.queue_depth, 101);
      await sql`delete from public.notifications_outbox where id = ${ids[0]}`;
      const at = await health();
      assert.deepEqual([at.code, at.status], [200, "healthy"]);
      await sql`delete from public.notifications_outbox where id = any (${ids})`;
    });
    await t.step("a message waiting 59 minutes is fine, 61 minutes is stale", async () => {
      const [id] = await seed(sql, 1, { status: "retry", createdAgo: "59 minutes" });
      assert.equal((await health()).status, "healthy");
      await sql`update public.notifications_outbox set created_at = now() - interval '61 minutes'
                where id = ${id}`;
      const h = await health();
      assert.deepEqual([h.code, h.problems], [503, ["stale_message"]]);
      assert.ok(h.body.outbox.oldest_waiting_seconds >= 3660);
      await sql`delete from public.notifications_outbox where id = ${id}`;
    });
    await t.step("email success under 95 % over 10 messages: degraded, still 200", async () => {
      const delivered = await seed(sql, 19, { status: "sent", delivery: "delivered" });
      const bounced = await seed(sql, 1, { status: "sent", delivery: "bounced" });
      assert.equal((await health()).status, "healthy", "19 of 20 is 95 %");
      await seed(sql, 1, { status: "sent", delivery: "bounced" });
      const h = await health();
      assert.deepEqual([h.code, h.status, h.problems], [200, "degraded", ["email_success_rate"]]);
      assert.equal(h.body.success_rate_pct_24h.email, 90.48);
      assert.ok(h.body.providers.resend.last_success_at, "Resend's last success is shown");
      await sql`delete from public.notifications_outbox
                where id = any (${[...delivered, ...bounced]}) or delivery_status = 'bounced'`;
    });
    await t.step("Resend failing 5 attempts in a row: failing, until one succeeds", async () => {
      const [id] = await seed(sql, 1, { status: "retry" });
      const attempt = (outcome: string) =>
        sql`insert into public.notification_attempts (outbox_id, attempt, outcome, error)
            values (${id}, 1, ${outcome}, ${outcome === "sent" ? null : "Resend 500"})`;
      for (let i = 0; i < 4; i++) await attempt("retry");
      assert.equal((await health()).status, "healthy", "4 in a row");
      await attempt("retry");
      const h = await health();
      assert.deepEqual([h.code, h.problems], [503, ["resend_failures"]]);
      assert.equal(h.body.providers.resend.failures_in_a_row, 5);
      await attempt("sent");
      assert.equal((await health()).status, "healthy");
      await sql`delete from public.notifications_outbox where id = ${id}`;
    });
    await t.step("HEAD answers the status code alone; other methods 405", async () => {
      const dead = await seed(sql, 1, { status: "dead" });
      const head = await fetch(HEALTH_URL, { method: "HEAD" });
      assert.equal(head.status, 503);
      assert.equal(await head.text(), "");
      const post = await fetch(HEALTH_URL, { method: "POST", body: "{}" });
      assert.equal(post.status, 405);
      await post.body?.cancel();
      await sql`delete from public.notifications_outbox where id = any (${dead})`;
    });
  } finally {
    await resume();
    await sql.end();
  }
});

const withDeadLetter = snapshot({ outbox: { dead_letters: 3 } });
const resendDown = snapshot({ failures: { resend: 6 } });

/** The alert messages planned after outbox row `afterId`. */
async function alertRows(sql: postgres.Sql, afterId: number) {
  return await sql<{ key: string; template: string; recipient: string; status: string }[]>`
    select key, template, recipient, status from public.notifications_outbox
    where template like 'admin_alert_%' and id > ${afterId} order by id`;
}

async function lastOutboxId(sql: postgres.Sql): Promise<number> {
  const [{ id }] =
    await sql`select coalesce(max(id), 0)::int as id from public.notifications_outbox`;
  return id;
}

Deno.test("alerts fire once per condition per hour, once on clearing, and reach the admin", async (t) => {
  const sql = connect();
  const resume = await quietOutbox(sql);
  const started = await lastOutboxId(sql);
  const startedAt = new Date().toISOString();
  const setup = { adminEmail: ADMIN, adminPhone: "+17205550177" };
  // Three hours ago, so each step's clock is in the past of the database's.
  const t0 = new Date(Date.now() - 3 * 3600_000);
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
  try {
    await t.step("two sweeps checking at once raise one alert", async () => {
      const [a, b] = await Promise.all([
        planAlerts(sql, { setup, now: at(0), snapshot: withDeadLetter }),
        planAlerts(sql, { setup, now: at(0), snapshot: withDeadLetter }),
      ]);
      assert.equal(a.length + b.length, 1);
      const rows = await alertRows(sql, started);
      assert.deepEqual(rows.map((r) => [r.template, r.recipient]), [["admin_alert_email", ADMIN]]);
    });
    await t.step("told again only after an hour, then once when it clears", async () => {
      const counts = [];
      for (
        const [minutes, snapshot] of [
          [10, withDeadLetter],
          [59, withDeadLetter],
          [60, withDeadLetter],
          [
            70,
            withDeadLetter,
          ],
          [71, calm],
          [72, calm],
        ] as const
      ) {
        counts.push((await planAlerts(sql, { setup, now: at(minutes), snapshot })).length);
      }
      assert.deepEqual(counts, [0, 0, 1, 0, 1, 0]);
      const [state] = await sql`select * from public.admin_alerts where condition = 'dead_letters'`;
      assert.deepEqual([state.notifications, state.cleared_at], [3, at(71)]);
    });
    await t.step("when email is the failing channel, the alert is a text", async () => {
      const rows = await planAlerts(sql, { setup, now: at(80), snapshot: resendDown });
      assert.deepEqual(rows.map((r) => [r.template, r.recipient]), [[
        "admin_alert_sms",
        "+17205550177",
      ]]);
    });
    await t.step(
      "the sweep sends them: emails to the admin inbox, the text to the phone",
      async () => {
        await sweep();
        const sent = await waitFor("the alerts to be sent", async () => {
          const rows = await alertRows(sql, started);
          return rows.every((r) => r.status === "sent") ? rows : undefined;
        });
        // And the real sweep's own check: Resend is not failing, so that alert clears.
        assert.deepEqual(
          sent.map((r) => r.key.split(":").slice(1, 2).concat(r.key.split(":").at(-1)!)),
          [
            ["dead_letters", "raised"],
            ["dead_letters", "2"],
            ["dead_letters", "cleared"],
            ["resend_failures", "raised"],
            ["resend_failures", "cleared"],
          ],
        );
        const subjects = (await emailsTo(ADMIN)).filter((e) => e.created_at >= startedAt)
          .map((e) => e.subject);
        for (
          const expected of [
            /^leadwire ALERT \(failing\): 3 dead letter/,
            /^leadwire ALERT, still \(failing\): 3 dead letter/,
            /^leadwire: cleared: was: 3 dead letter/,
          ]
        ) {
          assert.equal(subjects.filter((s) => expected.test(s)).length, 1, String(expected));
        }
        const [text] = (await smsTo("+17205550177")).filter((m) => m.date_created >= startedAt);
        assert.match(text.body, /leadwire ALERT \(failing\): resend failed 6 times in a row/);
      },
    );
    await t.step(
      "a real dead letter: concurrent sweeps alert once, and once when it is gone",
      async () => {
        await sql`delete from public.admin_alerts`;
        const since = await lastOutboxId(sql);
        const [dead] = await sql<{ id: number }[]>`
        insert into public.notifications_outbox (key, channel, template, recipient, status, last_error)
        values ('alert-test:' || gen_random_uuid(), 'email', 'customer_confirmation_email',
                'someone@example.com', 'dead', 'Resend 500 (test)')
        returning id`;
        const reports = await Promise.all([sweep(), sweep()]);
        assert.equal(reports.reduce((n, r) => n + r.alerts_planned, 0), 1);
        await sql`delete from public.notifications_outbox where id = ${dead.id}`;
        assert.equal((await sweep()).alerts_planned, 1);
        assert.equal((await sweep()).alerts_planned, 0);
        const rows = await alertRows(sql, since);
        assert.deepEqual(rows.map((r) => r.key.split(":").at(-1)), ["raised", "cleared"]);
      },
    );
  } finally {
    await resume();
    await sql.end();
  }
});

Deno.test("a dead letter replayed is sent once more, with an activity, and only once", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await arrangeLead(sql, {}, async (lead) => {
      await sql`update public.notifications_outbox
                set status = 'dead', attempts = 6, last_error = 'Resend answered 500 (6 times)'
                where lead_id = ${lead.id} and template = 'customer_confirmation_email'`;
    });
    await waitFor("the lead's other messages to settle", async () => {
      const [{ waiting }] =
        await sql`select count(*)::int as waiting from public.notifications_outbox
        where lead_id = ${lead.id} and status in ('pending', 'sending', 'retry')`;
      return waiting === 0;
    }, { timeoutMs: 30_000 });
    assert.equal((await emailsTo(lead.email)).length, 0, "never sent while dead");
    const [row] = await sql`select id from public.notifications_outbox
                            where lead_id = ${lead.id} and template = 'customer_confirmation_email'`;

    const otherKind = await sql`select * from public.replay_dead_letters(kind => 'admin_alert_sms')
                                where id = ${row.id}`;
    assert.equal(otherKind.length, 0, "a kind filter leaves other kinds alone");

    const first =
      await sql`select * from public.replay_dead_letters(ids => array[${row.id}::bigint])`;
    assert.deepEqual(first.map((r) => r.template), ["customer_confirmation_email"]);
    const [replayed] = await sql`select attempts, max_attempts from public.notifications_outbox
                                 where id = ${row.id}`;
    // One attempt more, and no more: a replay that fails is dead again, not retried.
    assert.equal(replayed.max_attempts, replayed.attempts + 1);
    assert.equal(
      (await sql`select * from public.replay_dead_letters(ids => array[${row.id}::bigint])`).length,
      0,
      "a message being replayed is not replayed twice",
    );
    const sent = await waitFor("the replay to be sent", async () => {
      const [r] =
        await sql`select status, attempts from public.notifications_outbox where id = ${row.id}`;
      return r.status === "sent" ? r : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(sent.attempts, 7);
    assert.equal((await emailsTo(lead.email)).length, 1, "the customer got it once");
    const activities = await sql`
      select activity_type, created_by from public.lead_activities
      where lead_id = ${lead.id} and metadata ->> 'template' = 'customer_confirmation_email'
        and activity_type in ('notification_replayed', 'email_sent', 'email_failed')
      order by id`;
    assert.deepEqual(activities.map((a) => a.activity_type), [
      "notification_replayed",
      "email_sent",
    ]);
    assert.equal(
      (await sql`select * from public.replay_dead_letters(ids => array[${row.id}::bigint])`).length,
      0,
      "a message sent is never replayed",
    );
    assert.equal(activities[0].created_by, "postgres");
  } finally {
    await sql.end();
  }
});
