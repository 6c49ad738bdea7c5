/**
 * A customer texting the shop's number (`POST /__fake/inbound`): the fake does what Twilio
 * does when a message comes in. It applies Twilio's own keyword handling (STOP blocks later
 * sends with 21610, START lifts it; with `advanced_opt_out`, Twilio answers the keyword itself
 * and posts OptOutType), posts the signed "a message comes in" webhook with Twilio's
 * parameters, and sends the replies the TwiML answer asks for.
 */
import { z } from "zod";
import { segmentCount } from "./segments.ts";
import { ControlBodyError } from "./faults.ts";
import { messageSid } from "./ids.ts";
import { apiVersion, type MessageStore, type StoredMessage } from "./twilio_store.ts";
import { postSigned, where } from "./twilio_webhook.ts";
import { parseMessagingTwiml } from "./twiml.ts";
import { autoReplies, placeParams, twilioKeyword } from "./twilio_keywords.ts";
import { maskPII } from "../../../shared/platform/mask.ts";

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 number like +17205551234");

const inboundSchema = z.strictObject({
  /** The customer's phone. Required unless `message_sid` names a message already received. */
  from: e164.optional(),
  body: z.string().max(1600).optional(),
  /** Default: the shop's number. */
  to: e164.optional(),
  media: z.array(z.strictObject({ url: httpUrl, content_type: z.string().min(1) })).max(10)
    .optional(),
  /** A sid already received: Twilio retrying the webhook (same parameters, same token). */
  message_sid: z.string().regex(/^(SM|MM)[0-9a-f]{32}$/, "must be SM or MM and 32 hex digits")
    .optional(),
  /** The number is in a Messaging Service with Advanced Opt-Out: keywords carry OptOutType. */
  advanced_opt_out: z.boolean().default(false),
  messaging_service_sid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, "must be MG and 32 hex digits")
    .optional(),
  /** Default: the number's "a message comes in" webhook. */
  url: httpUrl.optional(),
  signature: z.enum(["valid", "missing", "forged"]).default("valid"),
});

export type InboundRequest = z.input<typeof inboundSchema>;

/** What `POST /__fake/inbound` answers. */
export interface InboundResult {
  message_sid: string;
  /** The webhook's HTTP status; null when it could not be reached. */
  status: number | null;
  /** The webhook's answer as text; null when it could not be reached. */
  twiml: string | null;
  /** The texts of the replies the TwiML asked for, in order. */
  replies: string[];
  /** Twilio's own answer to a keyword (STOP, START, HELP…), or null. */
  auto_reply: string | null;
  /** Why Twilio would log an error for this webhook (11200 unreachable, 12100 not TwiML). */
  error?: string;
}

export interface InboundOptions {
  accountSid: string;
  authToken: string;
  now: () => number;
  log: (line: string) => void;
  store: MessageStore;
  /** Phones that sent STOP; shared with the REST API's 21610 refusal. */
  optedOut: Set<string>;
  /** The shop's number: the default `to`. */
  phoneNumber?: string;
  /** The number's "a message comes in" webhook: the default `url`. */
  inboundWebhookUrl?: string;
}

/** Twilio waits this long for a webhook's answer (then logs 11200). */
const webhookTimeoutMs = 15_000;

/** The first attempt's parameters and idempotency token, for retries of the same sid. */
interface Delivery {
  params: Record<string, string>;
  token: string;
}

export function createInboundHandler(opts: InboundOptions) {
  const deliveries = new Map<string, Delivery>();

  function recordOutgoing(
    to: string,
    from: string,
    reply: { body: string; media: string[] },
    autoReply: boolean,
  ): StoredMessage {
    const now = opts.now();
    // Twilio refuses a reply to an opted-out phone as it refuses a send (the STOP confirmation
    // is its own, and always goes).
    const blocked = !autoReply && opts.optedOut.has(to);
    return opts.store.add({
      sid: messageSid(reply.media.length > 0 ? "MM" : "SM"),
      direction: "outbound-reply",
      auto_reply: autoReply,
      to,
      from,
      messaging_service_sid: null,
      body: reply.body,
      media: reply.media.map((url) => ({ url, content_type: "" })),
      status: blocked ? "failed" : "delivered",
      error_code: blocked ? 21610 : null,
      status_callback: null,
      num_segments: segmentCount(reply.body),
      created_ms: now,
      updated_ms: now,
      sent_ms: blocked ? null : now,
    });
  }

  /** A new message: stored, keywords applied, Twilio's auto-reply sent, parameters built. */
  function receive(input: z.output<typeof inboundSchema>, from: string): Delivery & {
    autoReply: string | null;
    blockAfterReplies: boolean;
  } {
    const to = input.to ?? opts.phoneNumber;
    if (!to) {
      throw new ControlBodyError(
        'Cannot receive a message: give "to" (the fake has no phoneNumber configured)',
      );
    }
    const body = input.body ?? "";
    const media = input.media ?? [];
    const now = opts.now();
    const sid = input.message_sid ?? messageSid(media.length > 0 ? "MM" : "SM");
    const segments = segmentCount(body);
    opts.store.add({
      sid,
      direction: "inbound",
      auto_reply: false,
      to,
      from,
      messaging_service_sid: input.messaging_service_sid ?? null,
      body,
      media,
      status: "received",
      error_code: null,
      status_callback: null,
      num_segments: segments,
      created_ms: now,
      updated_ms: now,
      sent_ms: now,
    });

    const keyword = twilioKeyword(body);
    const advanced = input.advanced_opt_out && keyword !== undefined;
    // Twilio blocks the phone on STOP and lifts the block on START either way. With Advanced
    // Opt-Out it answers the keyword itself (and says so in OptOutType); otherwise the number
    // plays one whose keyword replies are left to the webhook, so the block on STOP takes
    // effect after the webhook's one confirmation went out.
    if (keyword === "START") opts.optedOut.delete(from);
    if (keyword === "STOP" && advanced) opts.optedOut.add(from);
    // An opted-out phone gets no HELP answer until it opts back in.
    const answered = advanced && !(keyword === "HELP" && opts.optedOut.has(from));
    const autoReply = answered ? autoReplies[keyword] : null;
    if (autoReply) recordOutgoing(from, to, { body: autoReply, media: [] }, true);
    const blockAfterReplies = keyword === "STOP" && !advanced;

    const params: Record<string, string> = {
      AccountSid: opts.accountSid,
      ApiVersion: apiVersion,
      Body: body,
      From: from,
      ...placeParams("From", from),
      MessageSid: sid,
      NumMedia: String(media.length),
      NumSegments: String(segments),
      SmsMessageSid: sid,
      SmsSid: sid,
      SmsStatus: "received",
      To: to,
      ...placeParams("To", to),
    };
    media.forEach((m, i) => {
      params[`MediaContentType${i}`] = m.content_type;
      params[`MediaUrl${i}`] = m.url;
    });
    if (input.messaging_service_sid) params.MessagingServiceSid = input.messaging_service_sid;
    if (input.advanced_opt_out && keyword) params.OptOutType = keyword;
    return { params, token: crypto.randomUUID(), autoReply, blockAfterReplies };
  }

  /** `POST /__fake/inbound`: throws ControlBodyError for a body it cannot take. */
  async function inbound(body: unknown): Promise<Response> {
    const parsed = inboundSchema.safeParse(body);
    if (!parsed.success) {
      throw new ControlBodyError(
        `Cannot receive a message: ${z.prettifyError(parsed.error)}`,
        { cause: parsed.error },
      );
    }
    const input = parsed.data;
    const url = input.url ?? opts.inboundWebhookUrl;
    if (!url) {
      throw new ControlBodyError(
        'Cannot receive a message: give "url" (the fake has no inboundWebhookUrl configured)',
      );
    }
    const retried = input.message_sid ? deliveries.get(input.message_sid) : undefined;
    let delivery: Delivery;
    let autoReply: string | null = null;
    let blockAfterReplies = false;
    if (retried) {
      const stored = opts.store.get(input.message_sid!)!;
      if (
        (input.from !== undefined && input.from !== stored.from) ||
        (input.body !== undefined && input.body !== stored.body)
      ) {
        throw new ControlBodyError(
          `Cannot retry ${input.message_sid}: a retry carries the first attempt's From and Body`,
        );
      }
      delivery = retried;
    } else {
      if (input.message_sid && opts.store.get(input.message_sid)) {
        throw new ControlBodyError(
          `Cannot receive ${input.message_sid}: that sid is a message the fake sent`,
        );
      }
      if (!input.from) throw new ControlBodyError('Cannot receive a message: "from" is required');
      const received = receive(input, input.from);
      delivery = { params: received.params, token: received.token };
      autoReply = received.autoReply;
      blockAfterReplies = received.blockAfterReplies;
      deliveries.set(received.params.MessageSid, delivery);
    }
    const sid = delivery.params.MessageSid;
    const customer = delivery.params.From;
    const shop = delivery.params.To;

    const result: InboundResult = {
      message_sid: sid,
      status: null,
      twiml: null,
      replies: [],
      auto_reply: autoReply,
    };
    let res: Response;
    try {
      res = await postSigned({
        url,
        params: delivery.params,
        authToken: opts.authToken,
        signature: input.signature,
        idempotencyToken: delivery.token,
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
    } catch (error) {
      opts.log(`[fake twilio] inbound to ${where(url)} failed: ${maskPII(String(error))}`);
      result.error = `11200 HTTP retrieval failure: ${String(error)}`;
      return Response.json(result);
    }
    result.status = res.status;
    result.twiml = await res.text();
    opts.log(maskPII(`[fake twilio] inbound from ${customer} to ${where(url)} → ${res.status}`));
    if (!res.ok) {
      // Twilio acts on no answer but a 2xx one.
      result.error = `11200 HTTP retrieval failure: the webhook answered ${res.status}`;
      return Response.json(result);
    }
    const replies = parseMessagingTwiml(result.twiml);
    if (replies === undefined) {
      result.error = "12100 Document parse failure: the answer is not a TwiML <Response>";
      return Response.json(result);
    }
    for (const reply of replies) {
      recordOutgoing(reply.to ?? customer, shop, reply, false);
      result.replies.push(reply.body);
    }
    if (blockAfterReplies) opts.optedOut.add(customer);
    return Response.json(result);
  }

  return {
    inbound,
    reset: () => deliveries.clear(),
  };
}
