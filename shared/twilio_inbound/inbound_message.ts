/**
 * A customer's text, received: recorded once per MessageSid (a webhook Twilio retries finds
 * it there and changes nothing), read (opt-out, opt-in, help or reply), and acted on in the
 * same transaction: the consent change everywhere, the activity, and the messages it calls
 * for (the keyword's one reply, answered in TwiML; a reply's staff email, through the outbox).
 */
import type postgres from "postgres";
import { classifyInboundSms } from "../compliance/sms_keywords.ts";
import { insertActivities, smsReceivedActivity } from "../leads/activity_log.ts";
import { loadBusinessSettings } from "../leads/lead_store.ts";
import { applySmsConsentChange } from "../leads/sms_consent.ts";
import type { InboundSms } from "../leads/types.ts";
import { messageKind, rankOf } from "../messages/catalog.ts";
import { planInboundMessages } from "../messages/plan.ts";
import type { MessageSetup } from "../messages/setup.ts";
import type { SmsMessage } from "../channels/sms.ts";
import { insertIfAbsent, type NewOutboxRow } from "../outbox/store.ts";

/** The fields of Twilio's inbound-message webhook we read. */
export interface InboundText {
  messageSid: string;
  from: string;
  to: string | null;
  body: string;
  media: { url: string; content_type: string | null }[];
  /** Twilio Advanced Opt-Out's reading (STOP, START, HELP), when it answered already. */
  optOutType: string | null;
}

/** What the webhook answers and what is left to send. */
export interface InboundResult {
  /** Twilio sent this MessageSid before: nothing was done again. */
  duplicate: boolean;
  intent: InboundSms["intent"] | null;
  /** Texts to answer in TwiML (at most one). */
  replies: string[];
  /** Outbox keys now waiting to be sent (the staff email of a reply). */
  queued: string[];
}

const E164 = /^\+[1-9]\d{7,14}$/;

/** Receives one text in one transaction. */
export async function receiveInboundText(
  sql: postgres.Sql,
  text: InboundText,
  setup: MessageSetup,
): Promise<InboundResult> {
  // Consent belongs to a phone number: a short code or a sender name cannot opt in or out.
  const intent = E164.test(text.from) ? classifyInboundSms(text.body) : "reply";
  return await sql.begin(async (tx) => {
    const [inbound] = await tx<InboundSms[]>`
      insert into public.sms_inbound_messages
        (message_sid, from_phone, to_phone, body, media, intent, opt_out_type, lead_id)
      values (${text.messageSid}, ${text.from}, ${text.to}, ${text.body},
              ${tx.json(text.media)}, ${intent}, ${text.optOutType},
              (select id from public.leads where phone_e164 = ${text.from}
               order by created_at desc limit 1))
      on conflict (message_sid) do nothing
      returning id::text, message_sid, from_phone, to_phone, body, media, intent, opt_out_type,
                lead_id, received_at`;
    if (!inbound) return { duplicate: true, intent: null, replies: [], queued: [] };

    // Once the text is recorded, its effects are independent: they go to the database
    // together (one round trip for a plain reply), not one after another.
    const [[inserted, replies]] = await Promise.all([
      queueMessages(tx, inbound, setup),
      // The number just texted us: whatever a carrier said before, it takes texts now.
      tx`delete from public.sms_unreachable_phones where phone_e164 = ${text.from}`,
      intent === "opt_out" || intent === "opt_in"
        ? applySmsConsentChange(tx, {
          phone: text.from,
          event: intent,
          source: "sms_keyword",
          detail: text.body,
          leadId: inbound.lead_id,
        })
        : intent === "reply"
        ? insertActivities(tx, [smsReceivedActivity(inbound)])
        : undefined,
    ]);
    return {
      duplicate: false,
      intent,
      replies,
      queued: inserted.filter((r) => r.status === "pending").map((r) => r.key),
    };
  }) as InboundResult;
}

/**
 * The messages a text calls for, in the outbox: the keyword's reply (rendered now, answered
 * in TwiML, recorded as sent) and the staff email of a reply (pending, for the drain).
 * Resolves with the rows inserted and the TwiML replies.
 */
async function queueMessages(
  tx: postgres.TransactionSql,
  inbound: InboundSms,
  setup: MessageSetup,
): Promise<[Awaited<ReturnType<typeof insertIfAbsent>>, string[]]> {
  const planned = planInboundMessages(inbound, setup);
  const settings = planned.some((m) => m.inTwiml) ? await loadBusinessSettings(tx) : null;
  const replies: string[] = [];
  const rows: NewOutboxRow[] = [];
  for (const m of planned) {
    let payload: Record<string, unknown> = { inbound_sms_id: inbound.id };
    const kind = messageKind(m.template);
    if (m.inTwiml && m.recipient && settings && kind?.event === "sms_received") {
      const sms = await kind.render({
        inbound,
        lead: null,
        settings,
        recipient: m.recipient,
        setup,
      }) as SmsMessage;
      replies.push(sms.body);
      payload = { ...payload, body: sms.body, answered_in: "twiml" };
    }
    rows.push({
      key: m.key,
      lead_id: inbound.lead_id,
      channel: m.channel,
      template: m.template,
      recipient: m.recipient,
      status: m.suppressedReason ? "suppressed" : m.inTwiml ? "sent" : "pending",
      status_reason: m.suppressedReason,
      rank: rankOf(m.template),
      next_attempt_at: null,
      payload,
    });
  }
  return [await insertIfAbsent(tx, rows), replies];
}
