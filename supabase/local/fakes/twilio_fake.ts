/**
 * A fake of Twilio's Programmable Messaging API (2010-04-01): send, fetch and list messages,
 * the magic test numbers, STOP opt-outs, signed status callbacks (`queued`, `sent`, then
 * `delivered`, or a carrier failure when a test asks for one), and customers texting in
 * (twilio_inbound.ts) with the replies the TwiML answer asks for. Rotating the auth token as in
 * Twilio's console: `POST /__fake/auth-tokens {"secondary": "…"}` creates a secondary token
 * (the REST API takes both; webhooks are still signed with the primary), `{"promote": true}`
 * makes it the primary (the old one stops working), `{"secondary": null}` deletes it.
 */
import { segmentCount } from "./segments.ts";
import { RollingWindowLimiter } from "./rate_limit.ts";
import type { Incoming, Provider } from "./fake_endpoint.ts";
import { ControlBodyError } from "./faults.ts";
import { messageSid } from "./ids.ts";
import {
  magicFromNumbers,
  magicToNumbers,
  twilioError,
  twilioGenericError,
} from "./twilio_errors.ts";
import { createInboundHandler } from "./twilio_inbound.ts";
import {
  apiVersion,
  type FakeConversation,
  type FakeSms,
  MessageStore,
  type StoredMessage,
} from "./twilio_store.ts";
import { DeliveryFailures, progress, SenderQueues } from "./twilio_webhook.ts";

export interface TwilioFakeOptions {
  accountSid: string;
  authToken: string;
  now: () => number;
  log: (line: string) => void;
  /** Pause before each status change (`queued`, `sent`, then `delivered`). */
  statusCallbackDelayMs: number;
  /** How fast each sender's queue sends (SenderQueues): queued texts wait their turn to be `sent`. */
  messagesPerSecond: number;
  /** The shop's number: where `POST /__fake/inbound` texts go unless they name a `to`. */
  phoneNumber?: string;
  /** The number's "a message comes in" webhook, which `POST /__fake/inbound` posts to. */
  inboundWebhookUrl?: string;
}

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
  /** Every message per customer phone, both directions, oldest first. */
  conversations(): FakeConversation[];
  /** Phones that sent STOP; sends to them fail with 21610. */
  readonly optedOut: ReadonlySet<string>;
}

export function createTwilioFake(opts: TwilioFakeOptions): TwilioFake {
  const store = new MessageStore(opts.accountSid);
  const accountPath = store.accountPath;
  const optedOut = new Set<string>();
  const failures = new DeliveryFailures();
  let statusCallbacks = true;
  /**
   * The account's API request limit, off unless set (`POST /__fake/rate-limit`): creates
   * past it are refused 429 / 20429, with Retry-After, as Twilio refuses an account's
   * requests past its concurrency.
   */
  let apiLimit: RollingWindowLimiter | null = null;
  // Twilio signs webhooks with the primary token; the REST API also takes the secondary.
  const tokens: { primary: string; secondary: string | null } = {
    primary: opts.authToken,
    secondary: null,
  };
  const inbound = createInboundHandler({
    ...opts,
    store,
    optedOut,
    get authToken() {
      return tokens.primary;
    },
  });
  const queues = new SenderQueues(opts.messagesPerSecond, opts.now);
  const progressOptions = {
    ...opts,
    get authToken() {
      return tokens.primary;
    },
    delayMs: opts.statusCallbackDelayMs,
    poolSender,
    callbacksEnabled: () => statusCallbacks,
    departure: (m: StoredMessage) => queues.departure(m),
  };

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

  /** The console's auth token rotation; answers which tokens exist, never their values. */
  function rotateAuthToken(b: Record<string, unknown>): Response {
    if (b.promote === true) {
      if (tokens.secondary === null) {
        throw new ControlBodyError("Cannot promote: there is no secondary auth token");
      }
      tokens.primary = tokens.secondary;
      tokens.secondary = null;
    } else if (b.secondary === null) {
      tokens.secondary = null;
    } else if (typeof b.secondary === "string" && b.secondary.length >= 16) {
      tokens.secondary = b.secondary;
    } else {
      throw new ControlBodyError(
        'Cannot rotate the auth token: send {"secondary": "<16+ characters>"}, ' +
          '{"secondary": null} or {"promote": true}',
      );
    }
    return Response.json({ primary: true, secondary: tokens.secondary !== null });
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
      const tokenTaken = creds !== undefined &&
        (creds.password === tokens.primary || creds.password === tokens.secondary);
      if (!creds || creds.user !== opts.accountSid || !tokenTaken) {
        return twilioError(401, 20003, "Authenticate", {
          "www-authenticate": 'Basic realm="Twilio API"',
        });
      }
      await ctx.delay();

      if (path === `${accountPath}/Messages.json` && incoming.method === "GET") {
        return Response.json(store.listPage(incoming.url));
      }
      if (path === `${accountPath}/Messages.json`) {
        if (incoming.method !== "POST") return twilioError(405, 20004, "Method not allowed");
        const to = field(incoming.body, "To");
        const from = field(incoming.body, "From");
        const service = field(incoming.body, "MessagingServiceSid");
        const text = field(incoming.body, "Body");
        const statusCallback = field(incoming.body, "StatusCallback");
        if (apiLimit && !apiLimit.take().allowed) {
          return twilioError(429, 20429, "Too Many Requests", { "retry-after": "1" });
        }
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
        const m = store.add({
          sid: messageSid(),
          direction: "outbound-api",
          auto_reply: false,
          to: to!,
          from: from ?? null,
          messaging_service_sid: service ?? null,
          body: text!,
          media: [],
          // A send through a Messaging Service is "accepted" until a sender is picked.
          status: from ? "queued" : "accepted",
          error_code: null,
          status_callback: statusCallback ?? null,
          num_segments: segmentCount(text!),
          created_ms: now,
          updated_ms: now,
          sent_ms: null,
        });
        // Decided now: a failure set after this send does not change how it ends.
        const outcome = failures.outcomeFor(m.to);
        ctx.later((signal) => progress(m, outcome, progressOptions, signal));
        return Response.json(store.resource(m), { status: 201 });
      }

      const fetchMatch = path.match(/^\/2010-04-01\/Accounts\/([^/]+)\/Messages\/([^/]+)\.json$/);
      if (fetchMatch && fetchMatch[1] === opts.accountSid) {
        const m = store.get(fetchMatch[2]);
        if (incoming.method !== "GET") return twilioError(405, 20004, "Method not allowed");
        if (m) return Response.json(store.resource(m));
      }
      return twilioError(404, 20404, `The requested resource ${path} was not found`);
    },

    faultResponse: twilioGenericError,

    messages: () => store.sent(),

    conversations: () => store.conversations(),

    reset() {
      store.clear();
      optedOut.clear();
      failures.clear();
      queues.clear();
      inbound.reset();
      statusCallbacks = true;
      apiLimit = null;
      tokens.primary = opts.authToken;
      tokens.secondary = null;
    },

    query(action) {
      return action === "conversations" ? store.conversations() : undefined;
    },

    control(action, body) {
      const b = body as Record<string, unknown>;
      if (action === "inbound") return inbound.inbound(body);
      if (action === "auth-tokens") return rotateAuthToken(b);
      if (action === "delivery-failure") return failures.apply(body);
      if (action === "rate-limit") {
        const perSecond = b?.perSecond;
        if (perSecond !== null && (!Number.isInteger(perSecond) || (perSecond as number) < 1)) {
          throw new ControlBodyError(
            'rate-limit takes {"perSecond": <a whole number from 1>} or {"perSecond": null}',
          );
        }
        apiLimit = perSecond === null
          ? null
          : new RollingWindowLimiter(perSecond as number, 1000, opts.now);
        return Response.json({ perSecond });
      }
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
