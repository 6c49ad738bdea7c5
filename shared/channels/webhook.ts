/**
 * The webhook channel: a JSON POST with `fetch` (the shop's CRM, a Slack incoming webhook).
 * A receiver that is down, slow or busy (5xx, 408, 429, timeout, no connection) is tried again
 * later; any other 4xx means the request itself is wrong and is not retried. When the payload
 * asks for it, the request carries Standard Webhooks signature headers whose `webhook-id` is
 * the outbox key, the same on every retry, so a receiver can drop a repeat.
 */
import { Webhook } from "standardwebhooks";
import {
  byRank,
  type ChannelSender,
  LEASE_LOST,
  type SendFailure,
  type SendResult,
} from "../outbox/channel.ts";
import { forEachPooled } from "../platform/pooled.ts";

/** What a webhook catalog entry renders. */
export interface WebhookRequest {
  url: string;
  /** Extra headers (e.g. `Authorization`); read from configuration at send time, never stored. */
  headers?: Record<string, string>;
  body: unknown;
  /** Add Standard Webhooks signature headers (when a signing secret is configured). */
  sign?: boolean;
}

/** Options for {@linkcode createWebhookSender}. */
export interface WebhookSenderOptions {
  /** `WEBHOOK_SIGNING_SECRET` (`whsec_…` or base64); without it nothing is signed. */
  signingSecret?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Injected for tests; default `fetch`. */
  fetch?: typeof fetch;
  /** The signature's timestamp. Default: the current time. */
  now?: () => Date;
}

/** A receiver's HTTP answer (or none) as a classified failure. */
export function webhookFailure(
  answer: { status: number; statusText?: string; retryAfter?: string | null; body?: string } | {
    error: unknown;
  },
): SendFailure {
  if ("error" in answer) {
    const err = answer.error as Error;
    return {
      message: err?.name === "TimeoutError" ? "timed out" : String(err?.message ?? err),
      network: true,
      transient: true,
      throttled: false,
    };
  }
  const { status } = answer;
  const retryAfter = Number(answer.retryAfter);
  return {
    status,
    message: (answer.body ?? "").slice(0, 200) || answer.statusText || "",
    transient: status >= 500 || status === 408 || status === 429,
    throttled: status === 429,
    retryAfterSeconds: answer.retryAfter && Number.isFinite(retryAfter) ? retryAfter : undefined,
  };
}

/** Posts one webhook and reduces the answer to a result. */
export async function postWebhook(
  request: WebhookRequest,
  opts: WebhookSenderOptions & { id: string },
): Promise<SendResult> {
  const body = JSON.stringify(request.body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "leadwire-webhooks",
    ...request.headers,
  };
  if (request.sign && opts.signingSecret) {
    const at = opts.now?.() ?? new Date();
    headers["webhook-id"] = opts.id;
    headers["webhook-timestamp"] = String(Math.floor(at.getTime() / 1000));
    headers["webhook-signature"] = new Webhook(opts.signingSecret).sign(opts.id, at, body);
  }
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(request.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (error) {
    return { ok: false, failure: webhookFailure({ error }) };
  }
  const text = await res.text().catch(() => "");
  if (res.ok) return { ok: true, providerMessageId: null };
  return {
    ok: false,
    failure: webhookFailure({
      status: res.status,
      statusText: res.statusText,
      retryAfter: res.headers.get("retry-after"),
      body: text,
    }),
  };
}

/** The webhook channel sender. */
export function createWebhookSender(
  opts: WebhookSenderOptions = {},
): ChannelSender<WebhookRequest> {
  return {
    channel: "webhook",
    provider: "webhook receiver",
    // A delivery in doubt goes again with the same webhook-id (its outbox key): Standard
    // Webhooks receivers drop a webhook-id they have already processed.
    async send(deliveries, { settle, onTheWire }) {
      await forEachPooled(byRank(deliveries), opts.concurrency ?? 8, async ({ row, payload }) => {
        // Marked first, as every channel's call is: a row another sender has taken over, or
        // one handed back by a worker about to end, does not go.
        const [held] = await onTheWire([row], row.key);
        if (!held) return await settle([{ row, result: { ok: false, failure: LEASE_LOST } }]);
        await settle([{ row, result: await postWebhook(payload, { ...opts, id: row.key }) }]);
      });
    },
  };
}
