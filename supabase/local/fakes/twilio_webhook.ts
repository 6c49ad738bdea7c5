/**
 * How the fake Twilio calls us: form-encoded POSTs signed with the account's auth token
 * (`X-Twilio-Signature`, Twilio's real algorithm), for status callbacks and incoming messages;
 * and what a sent message goes through before its final status (`queued` → `sent` →
 * `delivered`, or the carrier failure a test asked for).
 */
import twilio from "twilio";
import { sleep } from "./background.ts";
import { ControlBodyError } from "./faults.ts";
import { apiVersion, type MessageStatus, type StoredMessage } from "./twilio_store.ts";
import { maskPII } from "../../../shared/platform/mask.ts";

/** `valid` signs as Twilio does; `missing` sends no header; `forged` signs with another token. */
export type SignatureMode = "valid" | "missing" | "forged";

export interface SignedPost {
  url: string;
  params: Record<string, string>;
  authToken: string;
  signature?: SignatureMode;
  /** Twilio sends the same token again when it retries a webhook. */
  idempotencyToken?: string;
  signal?: AbortSignal;
}

/** POSTs `params` form-encoded to `url` with Twilio's headers. */
export function postSigned(post: SignedPost): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "*/*",
    "user-agent": "TwilioProxy/1.1",
    "i-twilio-idempotency-token": post.idempotencyToken ?? crypto.randomUUID(),
    "x-home-region": "us1",
  };
  const mode = post.signature ?? "valid";
  if (mode !== "missing") {
    const token = mode === "valid" ? post.authToken : `forged-${post.authToken}`;
    headers["x-twilio-signature"] = twilio.getExpectedTwilioSignature(
      token,
      post.url,
      post.params,
    );
  }
  return fetch(post.url, {
    method: "POST",
    headers,
    body: new URLSearchParams(post.params),
    signal: post.signal,
  });
}

/** Where a URL points, for a log line: its query may carry a secret. */
export function where(url: string): string {
  const target = new URL(url);
  return `${target.origin}${target.pathname}`;
}

/** How a send to one phone ends, as `POST /__fake/delivery-failure` set it. */
export interface DeliveryOutcome {
  status: "delivered" | "undelivered" | "failed";
  error_code: number | null;
}

const delivered: DeliveryOutcome = { status: "delivered", error_code: null };

/** Phones whose later sends end `undelivered` or `failed`, until cleared or reset. */
export class DeliveryFailures {
  #byPhone = new Map<string, DeliveryOutcome>();

  /** The outcome a send to `phone` accepted now will have. */
  outcomeFor(phone: string): DeliveryOutcome {
    return this.#byPhone.get(phone) ?? delivered;
  }

  /** Applies a `POST /__fake/delivery-failure` body; throws ControlBodyError. */
  apply(body: unknown): Response {
    const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const phone = b.phone;
    if (typeof phone !== "string" || !/^\+[1-9]\d{6,14}$/.test(phone)) {
      throw new ControlBodyError(
        'Cannot set a delivery failure: "phone" must be an E.164 number',
      );
    }
    if (b.clear === true) {
      this.#byPhone.delete(phone);
      return Response.json({ phone, failure: null });
    }
    if (b.status !== "undelivered" && b.status !== "failed") {
      throw new ControlBodyError(
        'Cannot set a delivery failure: "status" must be "undelivered" or "failed" (or send "clear": true)',
      );
    }
    const code = b.error_code;
    if (typeof code !== "number" || !Number.isInteger(code) || code < 30000 || code > 39999) {
      throw new ControlBodyError(
        'Cannot set a delivery failure: "error_code" must be a Twilio carrier error such as 30006',
      );
    }
    const outcome: DeliveryOutcome = { status: b.status, error_code: code };
    this.#byPhone.set(phone, outcome);
    return Response.json({ phone, failure: outcome });
  }

  clear(): void {
    this.#byPhone.clear();
  }
}

/** The statuses a message posts, in order, for its outcome. */
export function statusPath(outcome: DeliveryOutcome): MessageStatus[] {
  if (outcome.status === "failed") return ["queued", "failed"];
  return ["queued", "sent", outcome.status];
}

export interface ProgressOptions {
  accountSid: string;
  authToken: string;
  now: () => number;
  log: (line: string) => void;
  /** Pause before each status change. */
  delayMs: number;
  /** Sender Twilio picks from a Messaging Service's pool. */
  poolSender: string;
  /** False while `POST /__fake/status-callbacks {enabled: false}` holds. */
  callbacksEnabled: () => boolean;
  /** When a queued message leaves its sender's queue (`SenderQueues.departure`). */
  departure: (m: StoredMessage) => number;
}

/**
 * Twilio's outbound queue: each sender (a number, or a Messaging Service) sends at most
 * `messagesPerSecond`; a message waits `queued` for its turn, and only then is `sent` (and its
 * later statuses posted). A burst of sends is accepted at once but leaves at that pace.
 */
export class SenderQueues {
  #nextFreeMs = new Map<string, number>();

  constructor(readonly messagesPerSecond: number, private readonly now: () => number) {}

  /** The time (ms) the message leaves the queue; each call takes the sender's next turn. */
  departure(m: Pick<StoredMessage, "from" | "messaging_service_sid">): number {
    const sender = m.messaging_service_sid ?? m.from ?? "";
    const at = Math.max(this.now(), this.#nextFreeMs.get(sender) ?? 0);
    this.#nextFreeMs.set(sender, at + 1000 / this.messagesPerSecond);
    return at;
  }

  clear(): void {
    this.#nextFreeMs.clear();
  }
}

async function postStatusCallback(
  m: StoredMessage,
  opts: ProgressOptions,
  signal: AbortSignal,
): Promise<void> {
  const url = m.status_callback!;
  const params: Record<string, string> = {
    AccountSid: opts.accountSid,
    ApiVersion: apiVersion,
    From: m.from ?? opts.poolSender,
    MessageSid: m.sid,
    MessageStatus: m.status,
    SmsSid: m.sid,
    SmsStatus: m.status,
    To: m.to,
  };
  if (m.messaging_service_sid) params.MessagingServiceSid = m.messaging_service_sid;
  if (m.error_code !== null) params.ErrorCode = String(m.error_code);
  try {
    const res = await postSigned({ url, params, authToken: opts.authToken, signal });
    await res.body?.cancel();
    if (!res.ok) {
      opts.log(`[fake twilio] status callback ${m.status} to ${where(url)} answered ${res.status}`);
    }
  } catch (error) {
    if (signal.aborted) throw error;
    opts.log(
      `[fake twilio] status callback ${m.status} to ${where(url)} failed: ${
        maskPII(String(error))
      }`,
    );
  }
}

/**
 * Moves an accepted send through its statuses, posting a status callback for each change: it
 * waits `queued` for its sender's turn (SenderQueues), then is `sent`, then delivered or not.
 */
export async function progress(
  m: StoredMessage,
  outcome: DeliveryOutcome,
  opts: ProgressOptions,
  signal: AbortSignal,
): Promise<void> {
  // No callback for the status a message is created with (Twilio's docs): a send with a From
  // starts `queued`; one through a Messaging Service starts `accepted`, and `queued` is posted.
  const initial = m.status;
  for (const status of statusPath(outcome)) {
    if (status === initial) continue;
    await sleep(opts.delayMs, signal);
    if (m.status === "queued" && status !== "queued") {
      await sleep(Math.max(0, opts.departure(m) - opts.now()), signal);
    }
    m.status = status;
    m.updated_ms = opts.now();
    if (status === "sent") m.sent_ms = m.updated_ms;
    if (status === outcome.status) m.error_code = outcome.error_code;
    if (opts.callbacksEnabled() && m.status_callback) await postStatusCallback(m, opts, signal);
  }
}
