/**
 * How the fake Resend tells us what became of an email, as Resend's webhooks do: a JSON event
 * per change the endpoint is subscribed to (`email.sent`, then `email.delivered`, or
 * `email.bounced`; `email.complained` after delivery; see SUBSCRIBED_EVENTS), signed Svix-style with the endpoint's `whsec_` secret (headers `svix-id`,
 * `svix-timestamp`, `svix-signature`), posted to the endpoint (resend-events) shortly after
 * the email is accepted and retried with the same svix-id until it answers 2xx.
 *
 * Like Resend's test addresses, the recipient says how an email ends: `bounced@resend.dev`
 * bounces and `complained@resend.dev` is delivered and then marked as spam, each also with a
 * label (`bounced+anything@resend.dev`); every other address is delivered.
 */
import { Webhook } from "standardwebhooks";
import { sleep } from "./background.ts";
import type { FakeEmail } from "./resend_email.ts";
import { maskPII } from "../../../shared/platform/mask.ts";

export interface ResendWebhookOptions {
  /** The endpoint Resend posts to. */
  url: string;
  /** The endpoint's signing secret (`whsec_…`). */
  secret: string;
  /** Pause before each event. */
  delayMs: number;
  now: () => number;
  log: (line: string) => void;
}

/**
 * The events our endpoint is subscribed to, as README's deploy section sets it up in Resend:
 * Resend posts only those. `email.sent` is not among them (we record the acceptance ourselves):
 * posted for every email, it doubled a burst's webhook calls for nothing.
 */
export const SUBSCRIBED_EVENTS: ReadonlySet<string> = new Set([
  "email.delivered",
  "email.bounced",
  "email.complained",
  "email.opened",
  "email.delivery_delayed",
]);

/** Svix's retry schedule, compressed from seconds and minutes to milliseconds. */
const RETRY_DELAYS_MS = [50, 500, 2_000, 5_000];

/** The event types an email to `address` goes through, in order. */
export function eventPath(address: string): string[] {
  const local = address.toLowerCase().match(/<?([^<@\s]+)@resend\.dev>?$/)?.[1]?.split("+")[0];
  if (local === "bounced") return ["email.sent", "email.bounced"];
  if (local === "complained") return ["email.sent", "email.delivered", "email.complained"];
  return ["email.sent", "email.delivered"];
}

function eventBody(email: FakeEmail, type: string, at: string): string {
  return JSON.stringify({
    type,
    created_at: at,
    data: {
      created_at: email.created_at,
      email_id: email.id,
      from: email.from,
      to: email.to,
      subject: email.subject,
      ...(type === "email.bounced"
        ? {
          bounce: {
            message:
              "The recipient's email provider sent a hard bounce message: the address does not exist.",
            subType: "General",
            type: "Permanent",
          },
        }
        : {}),
    },
  });
}

/** Posts the events of accepted emails (as background tasks the fake's endpoint runs). */
export function createEventPoster(opts: ResendWebhookOptions) {
  const signer = new Webhook(opts.secret);

  async function post(email: FakeEmail, type: string, signal: AbortSignal): Promise<void> {
    const at = new Date(opts.now()).toISOString();
    const svixId = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = eventBody(email, type, at);
    const record = { type, svix_id: svixId, at, answer: null as number | null };
    email.events.push(record);
    for (const retryIn of [...RETRY_DELAYS_MS, null]) {
      const timestamp = new Date(opts.now());
      try {
        const answer = await fetch(opts.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "Svix-Webhooks/1.0",
            "svix-id": svixId,
            "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
            "svix-signature": signer.sign(svixId, timestamp, body),
          },
          body,
          signal,
        });
        await answer.body?.cancel();
        record.answer = answer.status;
        if (answer.ok) return;
      } catch (error) {
        if (signal.aborted) throw error;
        record.answer = null;
      }
      if (retryIn === null) {
        opts.log(`[fake resend] gave up posting ${type} for ${maskPII(email.to.join(","))}`);
        return;
      }
      await sleep(retryIn, signal);
    }
  }

  /** The task that posts the events of an email Resend just accepted. */
  return (email: FakeEmail) => async (signal: AbortSignal): Promise<void> => {
    for (const type of eventPath(email.to[0] ?? "")) {
      await sleep(opts.delayMs, signal);
      if (!SUBSCRIBED_EVENTS.has(type)) continue;
      await post(email, type, signal);
    }
  };
}
