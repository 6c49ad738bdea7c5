/**
 * Local fakes of Twilio, Resend and Supabase Storage that speak the real wire formats, so
 * our functions run unchanged against them with the real SDKs, and a fake receiver of our
 * outgoing webhooks (`webhookUrl`, webhook_fake.ts): `POST` to any path, e.g. `/crm`
 * (answers `{"received": true, "id"}`) or `/slack` (answers like Slack's incoming webhooks:
 * `ok`, or 400 `invalid_payload`). Each fake records every request and has a control API to
 * reset it, inject faults and add latency.
 *
 * Control API, on each fake's own origin (Storage: under `/storage/v1`, through the gateway):
 * - `GET  /__fake/requests`  every request received, with its answer (credentials redacted)
 * - `GET  /__fake/messages`  accepted sends only (emails / SMS sent through the REST API /
 *                            uploads / webhook deliveries; a delivery keeps its raw body and
 *                            its signature and authorization headers as received, for tests
 *                            to verify)
 * - `GET  /__fake/faults`    faults still pending
 * - `POST /__fake/reset`     forget recordings, messages, faults, latency, idempotency keys,
 *                            the rate window; cancel pending status callbacks
 * - `POST /__fake/faults`    `{ path?, times, status?, body?, headers?, delayMs?, drop? }`:
 *                            the next `times` requests whose path contains `path` are answered
 *                            that way, oldest rule first. Without `body` the provider's own
 *                            error format is used (a 429 carries retry-after). `drop` closes
 *                            the connection unanswered (Storage, behind the gateway: the answer
 *                            is cut off after its headers, which clients also see as a network
 *                            error). `delayMs` alone delays, then serves normally.
 * - `POST /__fake/clear-faults`  drop the pending faults, and nothing else.
 * - `POST /__fake/faults/withdraw` the same body as a fault: what is still pending of the
 *                            rules set so is dropped (a test takes back its own, no other)
 * - `POST /__fake/latency`   `{ ms }`: every later answer is delayed that long.
 * - Twilio only:
 *   - `GET /__fake/conversations` `[{ phone, messages: [{ sid, direction, auto_reply, from, to,
 *     body, media: [{ url, content_type }], status, error_code, date_created }] }]`: per
 *     customer phone, every message oldest first; direction `outbound-api` (our sends),
 *     `inbound` (the customer's texts), `outbound-reply` (TwiML replies; `auto_reply` true
 *     for Twilio's own answer to a keyword).
 *   - `POST /__fake/inbound` `{ from, body, to?, media?: [{ url, content_type }], message_sid?,
 *     advanced_opt_out?, messaging_service_sid?, url?, signature?: "valid" | "missing" |
 *     "forged" }`: the customer texts the shop's number (`to` defaults to `phoneNumber`).
 *     Twilio's keywords apply (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
 *     OPTOUT opt out: later sends → 21610; START, YES, UNSTOP opt back in; HELP, INFO). With
 *     `advanced_opt_out`, Twilio answers the keyword itself and the webhook gets `OptOutType`;
 *     without it the number leaves keyword replies to the webhook. The signed webhook goes to
 *     `url` (default `inboundWebhookUrl`), and each `<Message>` of its TwiML answer is sent
 *     (to a phone opted out before this text, it fails with 21610). A reused `message_sid` is Twilio retrying: same parameters and
 *     `I-Twilio-Idempotency-Token`, no second message. Answers `{ message_sid, status,
 *     twiml, replies: [text…], auto_reply, error? }` (`status` is the webhook's HTTP status,
 *     null if unreachable).
 *   - `POST /__fake/delivery-failure` `{ phone, status: "undelivered" | "failed",
 *     error_code }`: later sends to that phone end so (`queued` → `sent` → `undelivered`, or
 *     `queued` → `failed`) with that `ErrorCode`; `{ phone, clear: true }` undoes it.
 *   - `POST /__fake/inbound-stop` `{ phone }` (later sends → 21610),
 *     `POST /__fake/inbound-start` `{ phone }` (undoes it),
 *     `POST /__fake/status-callbacks` `{ enabled }` (default true): a send with a
 *     StatusCallback posts `queued`, `sent`, then `delivered`, signed like Twilio's; each sender
 *     sends `twilioMessagesPerSecond` (texts wait `queued` for their turn, as in Twilio's queue).
 * - Resend only: with `resendWebhook` set, each accepted email's events (`email.sent`, then
 *   `email.delivered`, or `email.bounced` / `email.complained` for `bounced@resend.dev` /
 *   `complained@resend.dev`) are posted there, Svix-signed (resend_events.ts); an email in
 *   `/__fake/messages` lists them in `events` with the endpoint's answers.
 *
 * - SendGrid (`sendgridUrl`): `POST /v3/mail/send` as SendGrid answers it (sendgrid_fake.ts);
 *   each accepted personalization is one email in `/__fake/messages` and on the inbox, marked
 *   "via SendGrid". With `sendgridWebhookUrl` set, its events (`processed`, then `delivered`, or
 *   `bounce` / `dropped` / `spamreport` by the recipient's local part: sendgrid_events.ts) are
 *   posted there, ECDSA-signed; `event_posts` keeps each post as sent, for tests to replay.
 *
 * The inbox (`inboxUrl`): `GET /` an HTML page (SMS as conversations, emails with their
 * attachments and webhook events), `GET /api` the same as JSON (both take `?ref=` to keep one
 * lead's), `GET /emails/<id>` one email alone, `GET /attachments/<email id>/<n>` an email's file.
 */
import { createFakeEndpoint, DROP } from "./fake_endpoint.ts";
import type { FakeEndpoint, Provider } from "./fake_endpoint.ts";
import { handleInbox } from "./inbox_page.ts";
import { maskPII } from "../../../shared/platform/mask.ts";
import { serveOverNodeHttp } from "./node_server.ts";
import type { RunningServer } from "./node_server.ts";
import { createResendFake } from "./resend_fake.ts";
import { createSendGridFake } from "./sendgrid_fake.ts";
import { createSendGridEventPoster } from "./sendgrid_events.ts";
import { createSignedUrlSigner } from "./signed_url_token.ts";
import { createStorageFake } from "./storage_fake.ts";
import { createTwilioFake } from "./twilio_fake.ts";
import { createTurnstileFake } from "./turnstile_fake.ts";
import { createWebhookFake } from "./webhook_fake.ts";

export type { FakeAttachment, FakeEmail } from "./resend_fake.ts";
export type { FakeSendGridEmail } from "./sendgrid_fake.ts";
export type {
  FakeConversation,
  FakeConversationMessage,
  FakeMedia,
  FakeSms,
} from "./twilio_store.ts";
export type { InboundRequest, InboundResult } from "./twilio_inbound.ts";
export type { FakeUpload } from "./storage_fake.ts";
export type { FakeWebhook } from "./webhook_fake.ts";
export type { FakeVerification } from "./turnstile_fake.ts";
export { FAKE_TURNSTILE_SECRET } from "./turnstile_fake.ts";
export type { RecordedRequest } from "./recorder.ts";
export type { FaultRule } from "./faults.ts";

export interface FakesOptions {
  /** Always "127.0.0.1": the fakes bind to this address only. */
  hostname: string;
  /** 0 = ephemeral. */
  twilioPort: number;
  /** 0 = ephemeral. */
  resendPort: number;
  /** 0 = ephemeral: the fake SendGrid (v3 Mail Send), email's second provider. */
  sendgridPort: number;
  /** 0 = ephemeral: the fake receiver of outgoing webhooks. */
  webhookPort: number;
  /** 0 = ephemeral: the fake Cloudflare Turnstile siteverify. */
  turnstilePort: number;
  /** 0 = ephemeral: an HTML page listing what the fakes received. */
  inboxPort: number;
  /**
   * `phoneNumber`: the shop's number, where `POST /__fake/inbound` texts go by default.
   * `inboundWebhookUrl`: its "a message comes in" webhook, as Twilio would call it (the public
   * URL the function validates signatures against).
   */
  twilio: {
    accountSid: string;
    authToken: string;
    phoneNumber?: string;
    inboundWebhookUrl?: string;
  };
  resendApiKey: string;
  /** The key the fake SendGrid takes (any other `SG.` key is answered 403, anything else 401). */
  sendgridApiKey: string;
  /** Default 100 Mail Send calls a second. */
  sendgridRateLimitPerSecond?: number;
  /**
   * The SendGrid Event Webhook endpoint (sendgrid-events): the fake posts each email's events
   * there, signed with a key pair made at start (`Fakes.sendgridWebhookPublicKey`). Unset: none.
   */
  sendgridWebhookUrl?: string;
  /**
   * The Resend webhook endpoint (resend-events) and its signing secret: the fake posts each
   * email's events there, signed. Unset: no events are posted.
   */
  resendWebhook?: { url: string; secret: string };
  /** publicUrl e.g. "http://127.0.0.1:54321" (the API gateway that mounts the storage handler). */
  storage: { serviceRoleKey: string; publicUrl: string };
  /** Default 2, Resend's real limit. */
  resendRateLimitPerSecond?: number;
  /** Where the one-line-per-request log goes (phones and emails masked). Default: console.log. */
  log?: (line: string) => void;
  /** Clock in ms for rate windows, idempotency expiry and signed-URL expiry. Default: Date.now. */
  now?: () => number;
  /** Pause before each Twilio status change (`queued`, `sent`, `delivered`). Default 50 ms. */
  statusCallbackDelayMs?: number;
  /**
   * Each Twilio sender's throughput: texts are accepted at once and leave the queue (`sent`,
   * then `delivered`) at this pace. Default 10 (a long code does 1, toll-free 3, a registered
   * 10DLC campaign or short code more).
   */
  twilioMessagesPerSecond?: number;
}

export interface Fakes {
  twilioUrl: string;
  resendUrl: string;
  sendgridUrl: string;
  /** What sendgrid-events verifies the fake's events with (SENDGRID_WEBHOOK_PUBLIC_KEY). */
  sendgridWebhookPublicKey: string | null;
  /** The webhook receiver's origin; a sender posts to `${webhookUrl}/crm`, `/slack`, …. */
  webhookUrl: string;
  /** The fake Turnstile's origin: `${turnstileUrl}/turnstile/v0/siteverify`. */
  turnstileUrl: string;
  inboxUrl: string;
  /** Handles requests whose path starts with /storage/v1 (mounted by the API gateway on 54321). */
  storageHandler(req: Request): Promise<Response>;
  shutdown(): Promise<void>;
}

/** A Response whose body fails at once: headers go out, then the connection is cut. */
function cutOffResponse(): Response {
  return new Response(
    new ReadableStream({
      pull(controller) {
        controller.error(new Error("fake storage: connection cut by a drop fault"));
      },
    }),
    { status: 200, headers: { "content-type": "application/json" } },
  );
}

/** Starts the Twilio, Resend, webhook and inbox servers, and builds the Storage handler. */
export async function startFakes(opts: FakesOptions): Promise<Fakes> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const now = opts.now ?? Date.now;
  const onError = (error: unknown) => log(`[fake] unexpected error: ${maskPII(String(error))}`);

  const twilio = createTwilioFake({
    ...opts.twilio,
    now,
    log,
    statusCallbackDelayMs: opts.statusCallbackDelayMs ?? 50,
    messagesPerSecond: opts.twilioMessagesPerSecond ?? 10,
  });
  const resend = createResendFake({
    apiKey: opts.resendApiKey,
    rateLimitPerSecond: opts.resendRateLimitPerSecond ?? 2,
    now,
    webhook: opts.resendWebhook && {
      ...opts.resendWebhook,
      delayMs: opts.statusCallbackDelayMs ?? 50,
      log,
    },
  });
  const sendgridEvents = opts.sendgridWebhookUrl
    ? createSendGridEventPoster({
      url: opts.sendgridWebhookUrl,
      delayMs: opts.statusCallbackDelayMs ?? 50,
      now,
      log,
    })
    : null;
  const sendgrid = createSendGridFake({
    apiKey: opts.sendgridApiKey,
    rateLimitPerSecond: opts.sendgridRateLimitPerSecond ?? 100,
    now,
    eventsOf: sendgridEvents?.eventsOf,
  });
  const webhooks = createWebhookFake({ now });
  const turnstile = createTurnstileFake({ now });
  const storage = createStorageFake({
    serviceRoleKey: opts.storage.serviceRoleKey,
    publicUrl: opts.storage.publicUrl,
    signer: await createSignedUrlSigner(now),
    now,
  });

  const endpoints: FakeEndpoint[] = [];
  const servers: RunningServer[] = [];

  async function shutdown() {
    await Promise.all(endpoints.map((e) => e.stop()));
    await Promise.all(servers.map((s) => s.close()));
  }

  /** One provider on its own port, with the control API at `/__fake/`. */
  async function serveProvider(provider: Provider, port: number): Promise<string> {
    const listening: { server?: RunningServer } = {};
    const endpoint = createFakeEndpoint(provider, {
      controlPrefix: "",
      log,
      onDropArmed: () => listening.server?.closeIdleConnections(),
    });
    endpoints.push(endpoint);
    const server = listening.server = await serveOverNodeHttp(
      opts.hostname,
      port,
      (req) => endpoint.handle(req),
      {
        onError,
        closeConnection: () => endpoint.dropPending(),
      },
    );
    servers.push(server);
    return server.url;
  }

  const storageEndpoint = createFakeEndpoint(storage, { controlPrefix: "/storage/v1", log });
  endpoints.push(storageEndpoint);

  try {
    const twilioUrl = await serveProvider(twilio, opts.twilioPort);
    const resendUrl = await serveProvider(resend, opts.resendPort);
    const sendgridUrl = await serveProvider(sendgrid, opts.sendgridPort);
    const webhookUrl = await serveProvider(webhooks, opts.webhookPort);
    const turnstileUrl = await serveProvider(turnstile, opts.turnstilePort);
    const inbox = await serveOverNodeHttp(
      opts.hostname,
      opts.inboxPort,
      (req) =>
        Promise.resolve(handleInbox(req, {
          emails: () => [...resend.messages(), ...sendgrid.messages()],
          sms: () => twilio.messages(),
          conversations: () => twilio.conversations(),
          uploads: () => storage.messages(),
          webhooks: () => webhooks.messages(),
          object: (bucket, path) => storage.object(bucket, path),
        })),
      { onError },
    );
    servers.push(inbox);

    return {
      twilioUrl,
      resendUrl,
      sendgridUrl,
      sendgridWebhookPublicKey: sendgridEvents?.publicKey ?? null,
      webhookUrl,
      turnstileUrl,
      inboxUrl: inbox.url,
      async storageHandler(req) {
        try {
          const answer = await storageEndpoint.handle(req);
          return answer === DROP ? cutOffResponse() : answer;
        } catch (error) {
          onError(error);
          return storage.faultResponse(500);
        }
      },
      shutdown,
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
}
