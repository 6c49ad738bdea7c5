/**
 * twilio-inbound's request handling. Twilio posts two kinds of signed forms to one URL:
 *
 *   a customer's text (From, Body, NumMedia…)  → read it, act on it, answer in TwiML
 *   a status callback (MessageSid, MessageStatus, ErrorCode) → record the delivery status
 *
 * Both are untrusted until `X-Twilio-Signature` checks out against the public URL Twilio
 * called: nothing is read from the database before that. Twilio retries a webhook that does
 * not answer 2xx, so every effect is recorded once per MessageSid (or per status).
 */
import type postgres from "postgres";
// The SDK's TwiML module alone: its index loads the whole REST client, most of what a worker
// would spend booting.
import MessagingResponse from "twilio/lib/twiml/MessagingResponse.js";
import { BodyTooLargeError, errorResponse, readTextWithin } from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import type { MessageSetup } from "../messages/setup.ts";
import type { InboundText } from "./inbound_message.ts";
import { loadOnce } from "../platform/edge_worker.ts";
import { applyStatusReport } from "./status_callback.ts";
import { twilioRequestShape } from "./request_shape.ts";
import { twilioSignatureValid } from "./signature.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";

// A customer's text needs the message catalog (templates, React), delivery reports do not:
// loaded at a worker's first text, so the flood of status callbacks boots workers cheaply.
const textHandling = loadOnce(() => import("./inbound_message.ts"));

export interface TwilioInboundDeps {
  sql: postgres.Sql;
  /**
   * `TWILIO_AUTH_TOKEN`: the key of Twilio's signatures, and during a rotation
   * `TWILIO_AUTH_TOKEN_PREVIOUS` (Twilio signs with the primary until the new one is promoted).
   */
  authToken: VerifyingSecret;
  /** Our functions' public base URL (what Twilio was given), e.g. https://…/functions/v1. */
  publicFunctionsUrl: string;
  setup: MessageSetup;
  /** Sends what is waiting in the outbox (the staff email of a reply), in the background. */
  drainSoon: () => void;
}

/** Twilio's forms are small; anything bigger is not Twilio. */
export const MAX_BODY_BYTES = 64 * 1024;

const FUNCTION_PATH = "/twilio-inbound";
const FORM = "application/x-www-form-urlencoded";

/** TwiML answering with these texts; `<Response/>` when there are none. */
export function twimlResponse(replies: string[]): Response {
  const response = new MessagingResponse();
  for (const text of replies) response.message(text);
  return new Response(response.toString(), {
    status: 200,
    headers: { "content-type": "text/xml; charset=utf-8" },
  });
}

/**
 * The URL Twilio called and signed: the public base, this function's path and the query.
 * Proxies in front of the function change its scheme, host and prefix, so they are not used.
 */
export function signedUrl(publicFunctionsUrl: string, requestUrl: URL): string {
  const at = requestUrl.pathname.indexOf(FUNCTION_PATH);
  const path = at >= 0 ? requestUrl.pathname.slice(at) : FUNCTION_PATH;
  return `${publicFunctionsUrl.replace(/\/+$/, "")}${path}${requestUrl.search}`;
}

/** The text's MMS attachments (`MediaUrl0`, `MediaContentType0`…). */
function mediaOf(params: Record<string, string>): InboundText["media"] {
  const count = Math.min(Number(params.NumMedia ?? 0) || 0, 10);
  return Array.from({ length: count }, (_, i) => ({
    url: params[`MediaUrl${i}`] ?? "",
    content_type: params[`MediaContentType${i}`] ?? null,
  })).filter((m) => m.url !== "");
}

export function createTwilioInboundHandler(
  deps: TwilioInboundDeps,
): (req: Request) => Promise<Response> {
  async function inbound(params: Record<string, string>): Promise<Response> {
    const { receiveInboundText } = await textHandling();
    const result = await receiveInboundText(deps.sql, {
      messageSid: params.MessageSid,
      from: params.From ?? "",
      to: params.To ?? null,
      body: params.Body ?? "",
      media: mediaOf(params),
      optOutType: params.OptOutType || null,
    }, deps.setup);
    if (result.duplicate) {
      console.log(
        `twilio-inbound: ${params.MessageSid} seen before; nothing done again`,
      );
    }
    if (result.queued.length > 0) deps.drainSoon();
    return twimlResponse(result.replies);
  }

  async function statusCallback(
    params: Record<string, string>,
  ): Promise<Response> {
    const code = Number(params.ErrorCode);
    const result = await applyStatusReport(deps.sql, {
      messageSid: params.MessageSid,
      status: params.MessageStatus,
      errorCode: params.ErrorCode && Number.isInteger(code) && code > 0 ? code : null,
    });
    if (result === "unknown") {
      console.log(
        `twilio-inbound: status ${params.MessageStatus} for unknown message ${params.MessageSid}`,
      );
    }
    return twimlResponse([]);
  }

  return async (req: Request) => {
    const url = new URL(req.url);
    // Unsigned is refused before anything else, so a stranger learns nothing (not even the
    // method this takes); the signature itself covers the body, so it is checked once read.
    const signature = req.headers.get("x-twilio-signature");
    if (!signature) {
      await req.body?.cancel();
      return errorResponse(403, "Missing X-Twilio-Signature");
    }
    if (req.method !== "POST") {
      return new Response(
        JSON.stringify({ error: `Use POST, not ${req.method}` }),
        {
          status: 405,
          headers: { allow: "POST", "content-type": "application/json" },
        },
      );
    }
    const type = (req.headers.get("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (type !== FORM) {
      return errorResponse(
        415,
        `Twilio posts ${FORM}, not ${type || "an untyped body"}`,
      );
    }
    let raw: string;
    try {
      raw = await readTextWithin(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        return errorResponse(413, err.message);
      }
      throw err;
    }
    const params = Object.fromEntries(new URLSearchParams(raw));
    const called = signedUrl(deps.publicFunctionsUrl, url);
    if (!twilioSignatureValid(deps.authToken, signature, { url: called, params })) {
      console.warn(
        `twilio-inbound: refused a request whose signature does not match ${called}`,
      );
      return errorResponse(
        403,
        "X-Twilio-Signature does not match this request",
      );
    }
    // Signed is not enough: the signature can be re-cut (see request_shape.ts).
    const shape = twilioRequestShape(params);
    if (shape.kind === "invalid") {
      return errorResponse(
        400,
        `Not a Twilio message or status callback (${shape.reason} missing or malformed)`,
      );
    }
    try {
      return shape.kind === "status" ? await statusCallback(params) : await inbound(params);
    } catch (err) {
      console.error(
        maskPII(`twilio-inbound failed: ${(err as Error).stack ?? err}`),
      );
      // Twilio retries on a 5xx; everything done so far is recorded once per MessageSid.
      return errorResponse(
        500,
        "twilio-inbound could not record this; Twilio will retry",
      );
    }
  };
}
