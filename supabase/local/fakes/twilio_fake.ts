/**
 * A fake of Twilio's Programmable Messaging API (2010-04-01): send, fetch and list messages,
 * the magic test numbers, STOP opt-outs, and signed status callbacks (`sent`, then `delivered`).
 */
import twilio from "twilio";
import { SegmentedMessage } from "sms-segments-calculator";
import { sleep } from "./background.ts";
import type { Incoming, Provider } from "./fake_endpoint.ts";
import { ControlBodyError } from "./faults.ts";
import { messageSid, rfc2822 } from "./ids.ts";
import { maskPII } from "../../../shared/platform/mask.ts";
import {
  magicFromNumbers,
  magicToNumbers,
  twilioError,
  twilioGenericError,
} from "./twilio_errors.ts";

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  now: () => number;
  log: (line: string) => void;
  /** Pause before each status change (`sent`, then `delivered`). */
  statusCallbackDelayMs: number;
}

/** An accepted SMS, as `GET /__fake/messages` lists it. */
export interface FakeSms {
  sid: string;
  to: string;
  from: string | null;
  messaging_service_sid: string | null;
  body: string;
  status: "accepted" | "queued" | "sent" | "delivered";
  status_callback: string | null;
  num_segments: number;
  date_created: string;
}

interface StoredSms extends FakeSms {
  created_ms: number;
  updated_ms: number;
  sent_ms: number | null;
}

const apiVersion = "2010-04-01";
const e164 = /^\+[1-9]\d{6,14}$/;
const alphanumericSender = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const messagingServiceSid = /^MG[0-9a-fA-F]{32}$/;
// Sender Twilio picks from a Messaging Service's pool when the request names no From.
const poolSender = "+15005550006";
const maxBodyLength = 1600;

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  if (Array.isArray(value)) return String(value[0]);
  return typeof value === "string" ? value : undefined;
}

function basicCredentials(headers: Headers): { user: string; password: string } | undefined {
  const header = headers.get("authorization") ?? "";
  if (!header.startsWith("Basic ")) return undefined;
  let decoded: string;
  try {
    decoded = atob(header.slice("Basic ".length));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export interface TwilioFake extends Provider {
  messages(): FakeSms[];
  /** Phones that sent STOP; sends to them fail with 21610. */
  readonly optedOut: ReadonlySet<string>;
}

export function createTwilioFake(opts: TwilioFakeOptions): TwilioFake {
  const accountPath = `/${apiVersion}/Accounts/${opts.accountSid}`;
  const messages = new Map<string, StoredSms>();
  const optedOut = new Set<string>();
  let statusCallbacks = true;

  function resource(m: StoredSms) {
    const uri = `${accountPath}/Messages/${m.sid}.json`;
    return {
      account_sid: opts.accountSid,
      api_version: apiVersion,
      body: m.body,
      date_created: rfc2822(m.created_ms),
      date_sent: m.sent_ms === null ? null : rfc2822(m.sent_ms),
      date_updated: rfc2822(m.updated_ms),
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: m.messaging_service_sid,
      num_media: "0",
      num_segments: String(m.num_segments),
      price: null,
      price_unit: "USD",
      sid: m.sid,
      status: m.status,
      subresource_uris: { media: `${accountPath}/Messages/${m.sid}/Media.json` },
      to: m.to,
      uri,
    };
  }

  /**
   * `GET Messages.json`: newest first, filtered by To, From and DateSent (a day, or with `<` /
   * `>` a bound, inclusive). A message not yet handed to the carrier has no date_sent, so no
   * DateSent filter matches it, as on Twilio.
   */
  function listPage(url: URL) {
    const q = url.searchParams;
    const day = (value: string) => value.slice(0, 10);
    const sentOn = q.get("DateSent");
    const sentBefore = q.get("DateSent<");
    const sentAfter = q.get("DateSent>");
    const matches = [...messages.values()].filter((m) => {
      if (q.has("To") && m.to !== q.get("To")) return false;
      if (q.has("From") && m.from !== q.get("From")) return false;
      if (!sentOn && !sentBefore && !sentAfter) return true;
      if (m.sent_ms === null) return false;
      const sent = new Date(m.sent_ms).toISOString();
      if (sentOn && day(sent) !== day(sentOn)) return false;
      if (sentBefore && sent > new Date(sentBefore).toISOString()) return false;
      if (sentAfter && sent < new Date(sentAfter).toISOString()) return false;
      return true;
    }).sort((a, b) => b.created_ms - a.created_ms);
    const pageSize = Math.min(Math.max(Number(q.get("PageSize") ?? 50) || 50, 1), 1000);
    const page = Math.max(Number(q.get("Page") ?? 0) || 0, 0);
    const slice = matches.slice(page * pageSize, (page + 1) * pageSize);
    const pageUri = (n: number) => {
      const next = new URLSearchParams(q);
      next.set("PageSize", String(pageSize));
      next.set("Page", String(n));
      return `${accountPath}/Messages.json?${next}`;
    };
    return {
      messages: slice.map(resource),
      end: page * pageSize + Math.max(slice.length - 1, 0),
      first_page_uri: pageUri(0),
      next_page_uri: (page + 1) * pageSize < matches.length ? pageUri(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      start: page * pageSize,
      uri: `${accountPath}/Messages.json?${q}`,
    };
  }

  /** The first reason Twilio would refuse this send, or undefined. */
  function refusal(
    to?: string,
    from?: string,
    service?: string,
    text?: string,
  ): Response | undefined {
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!from && !service) return twilioError(400, 21603, "A 'From' phone number is required.");
    if (text === undefined || text === "") {
      return twilioError(400, 21602, "Message body is required.");
    }
    if (text.length > maxBodyLength) {
      return twilioError(
        400,
        21617,
        "The concatenated message body exceeds the 1600 character limit.",
      );
    }
    if (!e164.test(to)) {
      return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    }
    if (service && !messagingServiceSid.test(service)) {
      return twilioError(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
    }
    if (from) {
      const magic = magicFromNumbers[from];
      if (magic) return twilioError(400, magic[0], magic[1](from));
      if (!e164.test(from) && !alphanumericSender.test(from)) {
        return twilioError(
          400,
          21212,
          `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
        );
      }
    }
    const magic = magicToNumbers[to];
    if (magic) return twilioError(400, magic[0], magic[1](to));
    if (optedOut.has(to)) {
      return twilioError(400, 21610, "Attempt to send to unsubscribed recipient");
    }
    return undefined;
  }

  async function postStatusCallback(m: StoredSms, signal: AbortSignal): Promise<void> {
    const url = m.status_callback!;
    const params: Record<string, string> = {
      AccountSid: opts.accountSid,
      ApiVersion: apiVersion,
      From: m.from ?? poolSender,
      MessageSid: m.sid,
      MessageStatus: m.status,
      SmsSid: m.sid,
      SmsStatus: m.status,
      To: m.to,
    };
    if (m.messaging_service_sid) params.MessagingServiceSid = m.messaging_service_sid;
    const target = new URL(url);
    const where = `${target.origin}${target.pathname}`; // the query may carry a secret
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          "user-agent": "TwilioProxy/1.1",
          "i-twilio-idempotency-token": crypto.randomUUID(),
          "x-twilio-signature": twilio.getExpectedTwilioSignature(opts.authToken, url, params),
        },
        body: new URLSearchParams(params),
        signal,
      });
      await res.body?.cancel();
      if (!res.ok) {
        opts.log(`[fake twilio] status callback ${m.status} to ${where} answered ${res.status}`);
      }
    } catch (error) {
      if (signal.aborted) throw error;
      opts.log(
        `[fake twilio] status callback ${m.status} to ${where} failed: ${maskPII(String(error))}`,
      );
    }
  }

  async function progress(m: StoredSms, signal: AbortSignal): Promise<void> {
    for (const status of ["sent", "delivered"] as const) {
      await sleep(opts.statusCallbackDelayMs, signal);
      m.status = status;
      m.updated_ms = opts.now();
      if (status === "sent") m.sent_ms = m.updated_ms;
      if (statusCallbacks && m.status_callback) await postStatusCallback(m, signal);
    }
  }

  return {
    name: "twilio",
    optedOut,

    async handle(incoming: Incoming, ctx) {
      const path = incoming.url.pathname;
      if (!path.startsWith(`/${apiVersion}/Accounts/`)) {
        return twilioError(404, 20404, `The requested resource ${path} was not found`);
      }
      const creds = basicCredentials(incoming.headers);
      if (!creds || creds.user !== opts.accountSid || creds.password !== opts.authToken) {
        return twilioError(401, 20003, "Authenticate", {
          "www-authenticate": 'Basic realm="Twilio API"',
        });
      }
      await ctx.delay();

      if (path === `${accountPath}/Messages.json` && incoming.method === "GET") {
        return Response.json(listPage(incoming.url));
      }
      if (path === `${accountPath}/Messages.json`) {
        if (incoming.method !== "POST") return twilioError(405, 20004, "Method not allowed");
        const to = field(incoming.body, "To");
        const from = field(incoming.body, "From");
        const service = field(incoming.body, "MessagingServiceSid");
        const text = field(incoming.body, "Body");
        const statusCallback = field(incoming.body, "StatusCallback");
        const refused = refusal(to, from, service, text);
        if (refused) return refused;
        if (statusCallback !== undefined && !isHttpUrl(statusCallback)) {
          return twilioError(
            400,
            21609,
            `The StatusCallback URL ${statusCallback} is not a valid URL.`,
          );
        }
        const now = opts.now();
        const m: StoredSms = {
          sid: messageSid(),
          to: to!,
          from: from ?? null,
          messaging_service_sid: service ?? null,
          body: text!,
          // A send through a Messaging Service is "accepted" until a sender is picked.
          status: from ? "queued" : "accepted",
          status_callback: statusCallback ?? null,
          num_segments: new SegmentedMessage(text!).segmentsCount,
          date_created: new Date(now).toISOString(),
          created_ms: now,
          updated_ms: now,
          sent_ms: null,
        };
        messages.set(m.sid, m);
        ctx.later((signal) => progress(m, signal));
        return Response.json(resource(m), { status: 201 });
      }

      const fetchMatch = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/);
      if (fetchMatch && fetchMatch[1] === opts.accountSid) {
        const m = messages.get(fetchMatch[2]);
        if (incoming.method !== "GET") return twilioError(405, 20004, "Method not allowed");
        if (m) return Response.json(resource(m));
      }
      return twilioError(404, 20404, `The requested resource ${path} was not found`);
    },

    faultResponse: twilioGenericError,

    messages() {
      return [...messages.values()].map(({ created_ms: _c, updated_ms: _u, sent_ms: _s, ...sms }) =>
        sms
      );
    },

    reset() {
      messages.clear();
      optedOut.clear();
      statusCallbacks = true;
    },

    control(action, body) {
      const b = body as Record<string, unknown>;
      if (action === "inbound-stop" || action === "inbound-start") {
        const phone = b.phone;
        if (typeof phone !== "string" || !e164.test(phone)) {
          throw new ControlBodyError(`Cannot record ${action}: "phone" must be an E.164 number`);
        }
        if (action === "inbound-stop") optedOut.add(phone);
        else optedOut.delete(phone);
        return Response.json({ phone, opted_out: optedOut.has(phone) });
      }
      if (action === "status-callbacks") {
        if (typeof b.enabled !== "boolean") {
          throw new ControlBodyError(
            'Cannot switch status callbacks: "enabled" must be true or false',
          );
        }
        statusCallbacks = b.enabled;
        return Response.json({ enabled: statusCallbacks });
      }
      return undefined;
    },

    describe(incoming) {
      const to = field(incoming.body, "To");
      return to ? `to=${to}` : "";
    },
  };
}
