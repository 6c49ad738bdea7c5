/**
 * resend-events over HTTP: Resend's signed webhooks recorded once on the right lead and
 * email, refused when unsigned, tampered, stale or signed with another secret; and the fake
 * Resend's own events (it posts them like Resend does) putting a bounced or complaining
 * address on the suppression list, so the next lead with that address gets no email.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { connect, requireStack, stack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo } from "../support/fakes.ts";
import { insertLead } from "../support/fixtures.ts";
import { allowRepeatSubmissions, outboxOf } from "../support/notify_lead.ts";
import { LOCAL_RESEND_WEBHOOK_SECRET } from "../../supabase/local/local_env.ts";

await requireStack();

const URL = `${stack.functionsUrl}/resend-events`;

interface PostOptions {
  id?: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  secret?: string;
  /** Headers as given, instead of signed ones. */
  headers?: Record<string, string>;
  /** Signs this body but sends the given one. */
  signedBody?: string;
}

async function postEvent(event: unknown, opts: PostOptions = {}) {
  const body = JSON.stringify(event);
  const id = opts.id ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers = opts.headers ?? {
    "svix-id": id,
    "svix-timestamp": String(timestamp),
    "svix-signature": new Webhook(opts.secret ?? LOCAL_RESEND_WEBHOOK_SECRET).sign(
      id,
      new Date(timestamp * 1000),
      opts.signedBody ?? body,
    ),
  };
  const res = await fetch(URL, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  return { status: res.status, body: await res.json() };
}

/** A lead's outbox rows by kind, once its customer email is planned and nothing is in flight. */
async function settled(sql: postgres.Sql, leadId: string) {
  return await waitFor(`lead ${leadId}'s messages to settle`, async () => {
    const rows = await outboxOf(sql, leadId);
    const busy = Object.values(rows).some((r) =>
      ["pending", "sending", "retry"].includes(r.status)
    );
    return rows.customer_confirmation_email && !busy ? rows : undefined;
  }, { timeoutMs: 30_000 });
}

/** A lead whose customer email Resend has taken and reported delivered. */
async function deliveredLead(sql: postgres.Sql) {
  const lead = await insertLead(sql, { sms_consent: false });
  const outbox = await settled(sql, lead.id);
  const email = outbox.customer_confirmation_email;
  await waitFor("the fake's delivered event", async () => {
    const [row] = await sql`select delivery_status from public.notifications_outbox
                            where id = ${email.id}`;
    return row.delivery_status === "delivered";
  });
  return { lead, emailId: email.provider_message_id as string, outboxId: email.id as number };
}

async function activities(sql: postgres.Sql, leadId: string, type: string) {
  return await sql`select * from public.lead_activities
                   where lead_id = ${leadId} and activity_type = ${type}`;
}

Deno.test("a signed event is recorded once on its lead, however often it is posted", async () => {
  const sql = connect();
  try {
    const { lead, emailId, outboxId } = await deliveredLead(sql);
    const delivered = (await activities(sql, lead.id, "email_delivered"))
      .filter((a) => a.metadata.provider_message_id === emailId);
    assert.equal(delivered.length, 1, "the fake's own delivered event, once");
    const opened = {
      type: "email.opened",
      created_at: new Date().toISOString(),
      data: { email_id: emailId },
    };
    const first = await postEvent(opened, { id: "msg_opened_once_" + outboxId });
    assert.deepEqual([first.status, first.body.result], [200, "applied"]);
    const retried = await postEvent(opened, { id: "msg_opened_once_" + outboxId });
    assert.deepEqual([retried.status, retried.body.result], [200, "duplicate"]);
    // Opened again (a new event): still one email_opened on the timeline.
    assert.equal((await postEvent(opened)).body.result, "applied");
    const rows = await activities(sql, lead.id, "email_opened");
    assert.equal(rows.length, 1);
    assert.equal(rows[0].metadata.template, "customer_confirmation_email");
    assert.equal(rows[0].metadata.provider_message_id, emailId);
    const [email] = await sql`select delivery_status from public.notifications_outbox
                              where id = ${outboxId}`;
    assert.equal(email.delivery_status, "delivered", "an open reports no delivery status");
    // A late "delivered" after a complaint does not move the email back.
    await postEvent({ type: "email.complained", data: { email_id: emailId } });
    await postEvent({ type: "email.delivered", data: { email_id: emailId } });
    const [after] = await sql`select delivery_status from public.notifications_outbox
                              where id = ${outboxId}`;
    assert.equal(after.delivery_status, "complained");
    const unknown = await postEvent({ type: "email.delivered", data: { email_id: "not-ours" } });
    assert.deepEqual([unknown.status, unknown.body.result], [200, "unknown_email"]);
  } finally {
    await sql.end();
  }
});

Deno.test("events racing for one email are each applied once, and the email ends at the furthest status", async () => {
  const sql = connect();
  try {
    const { lead, emailId, outboxId } = await deliveredLead(sql);
    const events = ["email.delivery_delayed", "email.complained", "email.opened"].map((type) => ({
      type,
      data: { email_id: emailId },
    }));
    // Each event twice (Resend's retry under its own svix-id), all at once.
    const posts = events.flatMap((e, i) =>
      [1, 2].map(() => postEvent(e, { id: `msg_race_${outboxId}_${i}` }))
    );
    const answers = await Promise.all(posts);
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200));
    assert.deepEqual(
      answers.map((a) => a.body.result).sort(),
      ["applied", "applied", "applied", "duplicate", "duplicate", "duplicate"],
    );
    const [email] = await sql`select delivery_status from public.notifications_outbox
                              where id = ${outboxId}`;
    assert.equal(email.delivery_status, "complained");
    for (const type of ["email_complained", "email_opened"]) {
      const rows = (await activities(sql, lead.id, type))
        .filter((a) => a.metadata.provider_message_id === emailId);
      assert.equal(rows.length, 1, type);
    }
    const [suppressed] = await sql`select count(*)::int as n from public.email_suppressions
                                   where address = ${lead.email!.toLowerCase()}`;
    assert.equal(suppressed.n, 1);
  } finally {
    await sql.end();
  }
});

Deno.test("unsigned, tampered, stale or wrongly signed events get 401 and change nothing", async (t) => {
  const sql = connect();
  try {
    const { lead, emailId } = await deliveredLead(sql);
    const bounce = {
      type: "email.bounced",
      data: { email_id: emailId, bounce: { type: "Permanent" } },
    };
    // This email's events: the fake's own for other emails keep arriving meanwhile.
    const count = async () => {
      const [{ n }] = await sql`select count(*)::int as n from public.resend_events
                                where email_id = ${emailId}`;
      return n;
    };
    const before = await count();
    const cases: [string, PostOptions, RegExp][] = [
      ["no signature headers", { headers: {} }, /Missing svix-id/],
      [
        "a signature over another body",
        { signedBody: JSON.stringify({ type: "email.opened", data: { email_id: emailId } }) },
        /No matching signature/,
      ],
      [
        "signed with another secret",
        { secret: "whsec_" + btoa("somebody else's secret, 32 bytes.") },
        /No matching signature/,
      ],
      [
        "signed 10 minutes ago (a replay of a captured event)",
        { timestamp: Math.floor(Date.now() / 1000) - 600 },
        /more than 5 minutes/,
      ],
      [
        "a garbage signature",
        {
          headers: {
            "svix-id": "msg_x",
            "svix-timestamp": String(Math.floor(Date.now() / 1000)),
            "svix-signature": "v1,AAAA",
          },
        },
        /No matching signature/,
      ],
    ];
    for (const [name, opts, reason] of cases) {
      await t.step(name, async () => {
        const res = await postEvent(bounce, opts);
        assert.equal(res.status, 401);
        assert.match(res.body.error, reason);
      });
    }
    assert.equal(await count(), before, "no event kept");
    assert.equal((await activities(sql, lead.id, "email_bounced")).length, 0);
    const [suppressed] = await sql`select count(*)::int as n from public.email_suppressions
                                   where address = ${lead.email!.toLowerCase()}`;
    assert.equal(suppressed.n, 0);
  } finally {
    await sql.end();
  }
});

for (
  const [outcome, local, reason, activity] of [
    ["hard-bounces", "bounced", "email_bounced", "email_bounced"],
    ["is marked as spam", "complained", "email_complained", "email_complained"],
  ] as const
) {
  Deno.test(`an address that ${outcome} gets no email on the next lead, and the reason shows`, async () => {
    const sql = connect();
    const address = `${local}+${crypto.randomUUID().slice(0, 8)}@resend.dev`;
    try {
      await using _repeats = await allowRepeatSubmissions(sql);
      const first = await insertLead(sql, { email: address, sms_consent: false });
      const suppression = await waitFor(`${address} on the suppression list`, async () => {
        const [row] = await sql`select * from public.email_suppressions where address = ${address}`;
        return row;
      }, { timeoutMs: 15_000 });
      assert.equal(suppression.reason, reason);
      assert.equal(suppression.lead_id, first.id);
      const [logged] = await activities(sql, first.id, activity);
      assert.ok(logged, `${activity} on the first lead`);
      assert.match(logged.description, /no more email/);

      const second = await insertLead(sql, { email: address, sms_consent: false });
      const outbox = await settled(sql, second.id);
      const email = outbox.customer_confirmation_email;
      assert.deepEqual([email.status, email.status_reason], ["suppressed", reason]);
      const [shown] = (await activities(sql, second.id, "notification_suppressed"))
        .filter((a) => a.metadata.template === "customer_confirmation_email");
      assert.match(shown.description, new RegExp(reason));
      assert.equal((await emailsTo(address)).length, 1, "only the first lead's email went out");
      const [audit] =
        await sql`select * from public.email_compliance_audit where address = ${address}`;
      assert.deepEqual([audit.suppressed, audit.suppression_reason], [true, reason]);
      assert.deepEqual(
        audit.emails.map((e: { status: string }) => e.status),
        ["sent", "suppressed"],
      );
    } finally {
      await sql.end();
    }
  });
}
