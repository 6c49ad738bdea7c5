/**
 * inbound [callbacks] [replies] [in flight]: 2,000 signed status callbacks and 200 customer
 * texts posted to twilio-inbound as fast as the stack takes them (16 in flight), through the
 * gateway, as Twilio would. Prints requests/s and latency, then checks that every text ended
 * in the right delivery state with one activity, every reply's staff email was sent and every
 * opt-out was recorded.
 */
import { percentile } from "./percentile.ts";
import { connect } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { resend } from "../support/fakes.ts";
import {
  inboundParams,
  newMessageSid,
  postAsTwilio,
  statusParams,
} from "../support/twilio_inbound.ts";
import { waitFor } from "../support/wait_for.ts";
import { forEachPooled } from "../../shared/platform/pooled.ts";

/** What a text's callbacks are, and the state they must leave: two per text, some reversed. */
function callbacksFor(sid: string, i: number) {
  if (i % 10 === 0) {
    return {
      final: "undelivered",
      posts: [statusParams(sid, "sent"), statusParams(sid, "undelivered", { ErrorCode: "30007" })],
    };
  }
  // Every other text's reports arrive out of order: delivered before sent.
  const posts = [statusParams(sid, "sent"), statusParams(sid, "delivered")];
  return { final: "delivered", posts: i % 2 === 1 ? posts.reverse() : posts };
}

export async function inbound(args: string[] = []): Promise<boolean> {
  const CALLBACKS = Number(args[0] ?? 2_000);
  const REPLIES = Number(args[1] ?? 200);
  const IN_FLIGHT = Number(args[2] ?? 16);
  if (!Number.isInteger(CALLBACKS / 2) || !Number.isInteger(REPLIES) || REPLIES < 1) {
    throw new TypeError("inbound: give an even number of callbacks and a number of replies");
  }
  const sql = connect({ max: 2 });
  try {
    await resend.reset();
    // The leads whose texts are reported on and who reply: saved without their own
    // notifications (triggers off for this session), so only twilio-inbound's work is measured.
    const exchange = 200 + Math.floor(Math.random() * 800);
    const leads = Array.from(
      { length: REPLIES },
      (_, i) => newLead({ phone_e164: `+1303${exchange}${String(i).padStart(4, "0")}` }),
    );
    const texts = CALLBACKS / 2;
    const { rows, outbox } = await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      const rows = await tx`insert into public.leads ${tx(leads)} returning id, phone_e164`;
      await tx`update public.leads set notifications_planned_at = now()
               where id = any (${tx.array(rows.map((r) => r.id))}::uuid[])`;
      const outbox = await tx`insert into public.notifications_outbox ${
        tx(Array.from({ length: texts }, (_, i) => ({
          key: `bench:${crypto.randomUUID()}`,
          lead_id: rows[i % rows.length].id,
          channel: "sms",
          template: "initial_confirmation_sms",
          recipient: rows[i % rows.length].phone_e164,
          status: "sent",
          sent_at: new Date(),
          provider_message_id: newMessageSid(),
        })))
      } returning id, provider_message_id`;
      return { rows, outbox };
    });

    const plans = outbox.map((r, i) => ({ id: r.id, ...callbacksFor(r.provider_message_id, i) }));
    // Each text's two reports in order, texts interleaved; a tenth of the replies are STOP.
    const requests = [
      ...plans.map((p) => p.posts[0]),
      ...plans.map((p) => p.posts[1]),
      ...rows.map((r, i) =>
        inboundParams(r.phone_e164, i % 10 === 0 ? "STOP" : "Can you come Saturday at 9?")
      ),
    ];
    const latencies: number[] = [];
    const byKind: Record<string, number[]> = { status: [], reply: [] };
    const failures: string[] = [];
    const started = performance.now();
    await forEachPooled(requests, IN_FLIGHT, async (params) => {
      const t0 = performance.now();
      const res = await postAsTwilio(params);
      const ms = performance.now() - t0;
      latencies.push(ms);
      byKind["MessageStatus" in params ? "status" : "reply"].push(ms);
      if (res.status !== 200) failures.push(`${res.status} ${res.body.slice(0, 120)}`);
    });
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);

    const [states] = await sql`
      select count(*) filter (where delivery_status = 'delivered')::int as delivered,
             count(*) filter (where delivery_status = 'undelivered')::int as undelivered
      from public.notifications_outbox where id = any (${
      sql.array(plans.map((p) => p.id))
    }::bigint[])`;
    const wrong = await sql`
      select o.id from public.notifications_outbox o
      join jsonb_to_recordset(${sql.json(plans.map((p) => ({ id: p.id, final: p.final })))})
        as e(id bigint, final text) on e.id = o.id
      where o.delivery_status is distinct from e.final`;
    const [{ logged }] = await sql`
      select count(*)::int as logged from public.lead_activities
      where activity_type in ('sms_delivered', 'sms_failed')
        and metadata ->> 'provider_message_id' = any (${
      sql.array(outbox.map((r) => r.provider_message_id))
    })`;
    // This run's texts (a phone may have texted in an earlier run too).
    const sids = requests.flatMap((p) => "MessageStatus" in p ? [] : [p.MessageSid]);
    const staffEmails = await waitFor("every reply's staff email to be sent", async () => {
      const [row] = await sql`
        select count(*) filter (where o.status = 'sent')::int as sent, count(*)::int as total
        from public.sms_inbound_messages m
        join public.notifications_outbox o on o.key = 'sms:' || m.message_sid || ':staff_sms_reply_email'
        where m.message_sid = any (${sql.array(sids)}::text[])`;
      return row.sent === row.total ? row : undefined;
    }, { timeoutMs: 300_000, intervalMs: 250 });
    const stopPhones = rows.filter((_, i) => i % 10 === 0).map((r) => r.phone_e164);
    const [{ opted_out }] = await sql`
      select count(*)::int as opted_out from public.sms_consent_status
      where phone_e164 = any (${sql.array(stopPhones)}::text[]) and not may_text`;

    const stops = stopPhones.length;
    console.log(
      `\ninbound: ${CALLBACKS} status callbacks for ${texts} texts + ${REPLIES} customer texts, ${IN_FLIGHT} in flight`,
    );
    console.log(
      `${requests.length} requests in ${seconds.toFixed(2)} s: ${
        (requests.length / seconds).toFixed(0)
      } requests/s; latency ms p50 ${percentile(latencies, 50).toFixed(1)}, p99 ${
        percentile(latencies, 99).toFixed(1)
      }, max ${latencies.at(-1)!.toFixed(1)}; non-200 answers ${failures.length}`,
    );
    for (const [kind, ms] of Object.entries(byKind)) {
      ms.sort((a, b) => a - b);
      console.log(
        `  ${kind}: ${ms.length} requests, p50 ${percentile(ms, 50).toFixed(1)}, p99 ${
          percentile(ms, 99).toFixed(1)
        } ms`,
      );
    }
    console.log(
      `delivery states: ${states.delivered} delivered, ${states.undelivered} undelivered, ${wrong.length} wrong; delivery activities ${logged} (expected ${texts})`,
    );
    console.log(
      `replies: ${staffEmails.sent}/${
        REPLIES - stops
      } staff emails sent; opt-outs ${opted_out}/${stops}`,
    );
    for (const f of failures.slice(0, 5)) console.log(`  ${f}`);
    return failures.length === 0 && wrong.length === 0 && logged === texts &&
      staffEmails.sent === REPLIES - stops && opted_out === stops;
  } finally {
    await sql.end();
  }
}
