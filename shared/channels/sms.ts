/**
 * The SMS channel: Twilio's Messages API, one call per text and a fixed number of calls in
 * flight across every batch being sent (Twilio queues what a number cannot send at once, and
 * refuses an account's calls beyond its concurrency limit with 20429), each with a status
 * callback so delivery is reported back. Twilio has no idempotency key, so each answer is
 * settled as soon as it arrives, and a message whose earlier attempt got no answer is looked
 * up in Twilio's message list before it goes again. A 429 (20429) pauses every sender through
 * the database: this one starts no further call, and each reads the pause before a batch.
 */
import type { Twilio } from "twilio";
import {
  byRank,
  type ChannelSender,
  LEASE_LOST,
  type SendFailure,
  type SendResult,
} from "../outbox/channel.ts";
import { createCallSlots } from "../platform/pooled.ts";
import type { ProviderPause } from "../outbox/rate_limiter.ts";

/** What an SMS catalog entry renders. */
export interface SmsMessage {
  to: string;
  body: string;
}

/** Twilio errors that mean "this message will never go": retrying cannot help. */
export const PERMANENT_TWILIO_CODES = new Set([21211, 21408, 21610, 21612, 21614]);

/** Twilio 21610: the recipient replied STOP; Twilio refuses every later send to them. */
export const TWILIO_UNSUBSCRIBED = 21610;

interface TwilioLikeError {
  status?: number;
  code?: number;
  message?: string;
}

/** A Twilio answer (or its absence) as a classified failure. */
export function twilioFailure(err: unknown): SendFailure {
  const e = err as TwilioLikeError;
  const status = typeof e?.status === "number" && e.status > 0 ? e.status : undefined;
  const code = typeof e?.code === "number" ? e.code : undefined;
  const network = status === undefined;
  const throttled = code === 20429 || status === 429;
  const permanent = code !== undefined && PERMANENT_TWILIO_CODES.has(code);
  return {
    status,
    code,
    message: e?.message ?? String(err),
    network,
    throttled,
    transient: !permanent &&
      (network || throttled || status === 408 || (status !== undefined && status >= 500)),
  };
}

/** Options for {@linkcode createSmsSender}. */
export interface SmsSenderOptions {
  twilio: Twilio;
  /** The shop's number (`TWILIO_PHONE_NUMBER`). */
  from: string;
  /** Where Twilio posts delivery status (twilio-inbound). */
  statusCallbackUrl?: string;
  /** Calls in flight at once, across every batch this sender has on the wire. Default 64. */
  concurrency?: number;
  /** Told when Twilio says a recipient has unsubscribed (21610), so consent follows the phone. */
  onUnsubscribed?: (phone: string, leadId: string | null) => Promise<void>;
  /** Twilio's "too many requests", shared by every sender; none: this sender's own calls only. */
  pause?: ProviderPause;
}

/** How long every sender holds back after a 429 that names no Retry-After. */
export const TWILIO_THROTTLE_PAUSE_MS = 1_000;

/** The answer for a text not called for because Twilio asked every sender to wait. */
function heldBack(ms: number): SendFailure {
  return {
    message: "Twilio answered 429 (20429) to a sender: every sender waits before calling again",
    transient: true,
    throttled: true,
    retryAfterSeconds: Math.ceil(ms / 1000),
  };
}

/** Sends one SMS and reduces Twilio's answer to a result. */
async function sendSms(
  twilio: Twilio,
  sms: SmsMessage & { from: string; statusCallback?: string },
): Promise<SendResult> {
  try {
    const message = await twilio.messages.create({
      to: sms.to,
      from: sms.from,
      body: sms.body,
      ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}),
    });
    // What the day's SMS spend counts; a text Twilio did not say it split is one part.
    const segments = Number(message.numSegments);
    return {
      ok: true,
      providerMessageId: message.sid,
      ...(Number.isInteger(segments) && segments > 0 ? { segments } : {}),
    };
  } catch (err) {
    return { ok: false, failure: twilioFailure(err) };
  }
}

/** A message as Twilio's list shows it (the fields the lookup reads). */
export interface ListedSms {
  sid: string;
  body: string;
  dateCreated: Date;
  /** `outbound-api` for what we sent; replies answered in TwiML are `outbound-reply`. */
  direction: string;
}

// Our clock and Twilio's may disagree by a little.
const CLOCK_SLACK_MS = 60_000;

/**
 * The message an earlier attempt sent, if Twilio's list (already narrowed to its To and From)
 * shows one sent through the API with the same body, created since that attempt began (pure).
 */
export function earlierSend(listed: ListedSms[], body: string, since: Date): string | null {
  const earliest = since.getTime() - CLOCK_SLACK_MS;
  return listed.find((m) =>
    m.direction === "outbound-api" && m.body === body && m.dateCreated.getTime() >= earliest
  )?.sid ?? null;
}

/**
 * Asks Twilio whether it already has this message. The list is filtered by To and From, not
 * by DateSent: a message Twilio accepted but has not yet handed to the carrier (a burst
 * queues for minutes on one number) has no date_sent, and a DateSent filter would hide it.
 */
async function lookUpEarlierSend(
  twilio: Twilio,
  sms: SmsMessage & { from: string },
  since: Date,
): Promise<string | null> {
  const listed = await twilio.messages.list({ to: sms.to, from: sms.from, limit: 50 });
  return earlierSend(listed, sms.body, since);
}

/**
 * Sends one SMS unless an earlier attempt, whose answer was lost, already did: a message in
 * doubt is looked up first, and sent only when Twilio confirms it does not have it.
 */
async function sendOnce(
  twilio: Twilio,
  sms: SmsMessage & { from: string; statusCallback?: string },
  inDoubtSince: Date | null,
): Promise<SendResult> {
  if (inDoubtSince !== null) {
    try {
      const sid = await lookUpEarlierSend(twilio, sms, inDoubtSince);
      if (sid !== null) return { ok: true, providerMessageId: sid, reconciled: true };
    } catch (err) {
      // Not knowing is not "absent": try again later rather than risk a second text.
      return { ok: false, failure: { ...twilioFailure(err), transient: true } };
    }
  }
  return await sendSms(twilio, sms);
}

/** Twilio calls one sender has in flight at once, across all its batches. */
const CALLS_IN_FLIGHT = 64;

/** The SMS channel sender. */
export function createSmsSender(opts: SmsSenderOptions): ChannelSender<SmsMessage> {
  const slots = createCallSlots(opts.concurrency ?? CALLS_IN_FLIGHT);
  return {
    channel: "sms",
    provider: "Twilio",
    async send(deliveries, { settle, onTheWire }) {
      const paused = await opts.pause?.remainingMs() ?? 0;
      if (paused > 0) await new Promise((r) => setTimeout(r, paused));
      // Each answer is recorded while its slot takes the next text: waiting for the commit
      // would leave the slot idle for a transaction. After a failure no new call starts; the
      // send resolves once every call started has ended and every answer is recorded.
      const recording: Promise<void>[] = [];
      let failed: { err: unknown } | null = null;
      // Set by the first 429: later texts of this batch are not called for, and retried.
      let throttledFor: Promise<number> | null = null;
      const record = (work: Promise<void>) => {
        recording.push(work.catch((err) => void (failed ??= { err })));
      };
      const sendOne = async ({ row, payload }: (typeof deliveries)[number]) => {
        // Twilio has no idempotency key: a row another sender has taken over must not go.
        if (throttledFor) {
          const failure = heldBack(await throttledFor);
          return record(settle([{ row, result: { ok: false, failure } }]));
        }
        const [held] = await onTheWire([row], row.key);
        if (!held) return record(settle([{ row, result: { ok: false, failure: LEASE_LOST } }]));
        const result = await sendOnce(opts.twilio, {
          ...payload,
          from: opts.from,
          statusCallback: opts.statusCallbackUrl,
        }, row.in_doubt_since);
        if (!result.ok && result.failure.throttled && !throttledFor) {
          const ms = (result.failure.retryAfterSeconds ?? 0) * 1000 || TWILIO_THROTTLE_PAUSE_MS;
          throttledFor = (opts.pause?.pauseFor(ms) ?? Promise.resolve()).then(() => ms);
          await throttledFor;
        }
        record(
          settle([{ row, result }]).then(async () => {
            if (!result.ok && result.failure.code === TWILIO_UNSUBSCRIBED) {
              await opts.onUnsubscribed?.(payload.to, row.lead_id);
            }
          }),
        );
      };
      await Promise.all(
        byRank(deliveries).map((delivery) =>
          slots(async () => {
            if (!failed) await sendOne(delivery).catch((err) => void (failed ??= { err }));
          })
        ),
      );
      await Promise.all(recording);
      if (failed) throw (failed as { err: unknown }).err;
    },
  };
}
