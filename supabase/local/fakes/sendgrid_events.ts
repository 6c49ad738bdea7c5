/**
 * How the fake SendGrid tells us what became of an email, as SendGrid's Signed Event Webhook
 * does: a JSON array of events posted to the endpoint (sendgrid-events), signed with ECDSA P-256
 * over the timestamp followed by the body (`X-Twilio-Email-Event-Webhook-Signature`, base64 DER;
 * `X-Twilio-Email-Event-Webhook-Timestamp`), and retried until it answers 2xx. The key pair is
 * made when the fake starts; its public half is what the function is given as
 * SENDGRID_WEBHOOK_PUBLIC_KEY. Each event carries the call's custom args as fields, as SendGrid's do.
 *
 * The recipient's local part says how an email ends (before any `+label`): `bounced` bounces,
 * `blocked` is a soft bounce, `dropped` is dropped, `complained` is delivered and then reported
 * as spam; every other address is delivered.
 */
import { Buffer } from "node:buffer";
import { generateKeyPairSync, sign } from "node:crypto";
import { sleep } from "./background.ts";
import type { FakeSendGridEmail } from "./sendgrid_fake.ts";
import { maskPII } from "../../../shared/platform/mask.ts";

export interface SendGridWebhookOptions {
  /** The endpoint SendGrid posts to. */
  url: string;
  /** Pause before each event. */
  delayMs: number;
  now: () => number;
  log: (line: string) => void;
}

/** SendGrid retries for a day; compressed to milliseconds here. */
const RETRY_DELAYS_MS = [50, 500, 2_000, 5_000];

/** The events an email to `address` goes through, in order. */
export function sendGridEventPath(address: string): Array<{ event: string; type?: string }> {
  const local = address.toLowerCase().split("@")[0].split("+")[0];
  if (local === "bounced") return [{ event: "processed" }, { event: "bounce", type: "bounce" }];
  if (local === "blocked") return [{ event: "processed" }, { event: "bounce", type: "blocked" }];
  if (local === "dropped") return [{ event: "dropped" }];
  if (local === "complained") {
    return [{ event: "processed" }, { event: "delivered" }, { event: "spamreport" }];
  }
  return [{ event: "processed" }, { event: "delivered" }];
}

function eventFields(step: { event: string; type?: string }): Record<string, unknown> {
  switch (step.event) {
    case "delivered":
      return { response: "250 2.0.0 OK" };
    case "bounce":
      return step.type === "blocked"
        ? { type: "blocked", status: "4.0.0", reason: "421 4.7.0 Try again later" }
        : {
          type: "bounce",
          status: "5.1.1",
          reason: "550 5.1.1 The email account that you tried to reach does not exist.",
        };
    case "dropped":
      return { reason: "Bounced Address", status: "5.0.0" };
    default:
      return {};
  }
}

/** A signer and poster of one fake SendGrid's events. */
export function createSendGridEventPoster(opts: SendGridWebhookOptions) {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });

  /** Signs as SendGrid does: ECDSA over the timestamp followed by the body, base64 DER. */
  const signed = (body: string, timestamp: string) =>
    sign("sha256", Buffer.from(timestamp + body, "utf8"), privateKey).toString("base64");

  async function post(
    email: FakeSendGridEmail,
    step: { event: string; type?: string },
    signal: AbortSignal,
  ): Promise<void> {
    const sgEventId = btoa(crypto.randomUUID()).replace(/=+$/, "");
    const body = JSON.stringify([{
      email: email.to[0],
      timestamp: Math.floor(opts.now() / 1000),
      event: step.event,
      sg_event_id: sgEventId,
      sg_message_id: `${email.message_id}.filterdrecv-fake-1-0`,
      "smtp-id": `<${email.message_id}@ismtpd-fake>`,
      ...eventFields(step),
      ...email.custom_args,
    }]);
    const record = {
      type: step.event,
      svix_id: sgEventId,
      at: new Date(opts.now()).toISOString(),
      answer: null as number | null,
    };
    email.events.push(record);
    for (const retryIn of [...RETRY_DELAYS_MS, null]) {
      const timestamp = String(Math.floor(opts.now() / 1000));
      const headers = {
        "content-type": "application/json",
        "user-agent": "SendGrid Event API",
        "x-twilio-email-event-webhook-signature": signed(body, timestamp),
        "x-twilio-email-event-webhook-timestamp": timestamp,
      };
      try {
        const answer = await fetch(opts.url, { method: "POST", headers, body, signal });
        await answer.body?.cancel();
        record.answer = answer.status;
        email.event_posts.push({ body, headers, answer: answer.status });
        if (answer.ok) return;
      } catch (error) {
        if (signal.aborted) throw error;
        record.answer = null;
      }
      if (retryIn === null) {
        opts.log(
          `[fake sendgrid] gave up posting ${step.event} for ${maskPII(email.to.join(","))}`,
        );
        return;
      }
      await sleep(retryIn, signal);
    }
  }

  return {
    /** The verification key SendGrid shows for its Signed Event Webhook (base64 DER SPKI). */
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    /** The task that posts the events of an email SendGrid just accepted. */
    eventsOf: (email: FakeSendGridEmail) => async (signal: AbortSignal): Promise<void> => {
      for (const step of sendGridEventPath(email.to[0] ?? "")) {
        await sleep(opts.delayMs, signal);
        await post(email, step, signal);
      }
    },
  };
}
