/**
 * A fake receiver of our outgoing webhooks, on any path: a CRM endpoint (Bearer token and,
 * optionally, Standard Webhooks signature headers) and Slack incoming webhooks under `/slack`.
 * Each accepted delivery is recorded with its body exactly as received, so a test can check
 * the signature over it.
 *
 * Answers like the real receivers:
 * - `/slack…`: `200 text/plain "ok"`; `400 "invalid_payload"` unless the body is JSON with a
 *   non-empty string `text`. Its errors, faults' included, are Slack's plain-text codes.
 * - any other path: `200 {"received": true, "id"}`; `400 {"error"}` when the body is not JSON.
 * Only `POST` is taken (405 otherwise). No token or signature is checked: the tests check
 * what was recorded.
 */
import { STATUS_CODES } from "node:http";
import type { HandlerContext, Incoming, Provider } from "./fake_endpoint.ts";
import { uuid } from "./ids.ts";

export interface WebhookFakeOptions {
  /** Clock in ms for each delivery's `at`. */
  now: () => number;
}

/** The request headers a delivery keeps, when it carries them. */
export type WebhookHeaderName =
  | "webhook-id"
  | "webhook-timestamp"
  | "webhook-signature"
  | "authorization";

/** An accepted delivery, as `GET /__fake/messages` lists it. */
export interface FakeWebhook {
  id: string;
  at: string; // ISO 8601
  path: string;
  content_type: string | null;
  /**
   * Only the headers present. `authorization` is kept as received, unlike in
   * `/__fake/requests`: tests check the bearer token, which is a local test value.
   */
  headers: Partial<Record<WebhookHeaderName, string>>;
  /** The body as received: what a Standard Webhooks signature is computed over. */
  raw_body: string;
  /** The parsed body (JSON `null` stays null). */
  json: unknown;
}

/** The receiver, as `startFakes` serves it and the inbox reads it. */
export interface WebhookFake extends Provider {
  messages(): FakeWebhook[];
}

const keptHeaders: WebhookHeaderName[] = [
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "authorization",
];

// The codes Slack's incoming webhooks answer with, as plain text; other statuses get their
// reason phrase in that shape ("internal_server_error").
const slackErrorCodes: Record<number, string> = {
  400: "invalid_payload",
  403: "action_prohibited",
  404: "no_service",
  410: "channel_is_archived",
  429: "rate_limited",
};

// A BOM is kept: the sender signed the bytes, BOM included.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function isSlack(path: string): boolean {
  return path.startsWith("/slack");
}

function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? "Error";
}

/** An error in the format of the path's receiver: Slack's plain-text code, or `{"error"}`. */
function errorAnswer(status: number, path: string, message?: string): Response {
  // A 429 tells the sender when to come back, as both receivers do.
  const headers: Record<string, string> = status === 429 ? { "retry-after": "1" } : {};
  if (status === 405) headers.allow = "POST";
  if (isSlack(path)) {
    const code = slackErrorCodes[status] ??
      reasonPhrase(status).toLowerCase().replaceAll(" ", "_");
    return new Response(code, {
      status,
      headers: { ...headers, "content-type": "text/plain; charset=utf-8" },
    });
  }
  return Response.json({ error: message ?? reasonPhrase(status) }, { status, headers });
}

/** The parsed body, or undefined when it is not JSON (a JSON `null` is `{ value: null }`). */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

function hasSlackText(value: unknown): boolean {
  const text = (value as { text?: unknown } | null)?.text;
  return typeof text === "string" && text !== "";
}

/** Builds the receiver; `startFakes` serves it on its own port. */
export function createWebhookFake(opts: WebhookFakeOptions): WebhookFake {
  let deliveries: FakeWebhook[] = [];

  async function handle(incoming: Incoming, ctx: HandlerContext): Promise<Response> {
    const path = incoming.url.pathname;
    const slack = isSlack(path);
    if (incoming.method !== "POST") {
      return errorAnswer(405, path, `${incoming.method} is not allowed, only POST`);
    }
    await ctx.delay();

    const raw_body = decoder.decode(incoming.raw);
    const parsed = parseJson(raw_body);
    if (parsed === undefined || (slack && !hasSlackText(parsed.value))) {
      return errorAnswer(400, path, "The request body is not valid JSON");
    }

    const headers: FakeWebhook["headers"] = {};
    for (const name of keptHeaders) {
      const value = incoming.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const delivery: FakeWebhook = {
      id: uuid(),
      at: new Date(opts.now()).toISOString(),
      path,
      content_type: incoming.headers.get("content-type"),
      headers,
      raw_body,
      json: parsed.value,
    };
    deliveries.push(delivery);
    return slack
      ? new Response("ok", { headers: { "content-type": "text/plain; charset=utf-8" } })
      : Response.json({ received: true, id: delivery.id });
  }

  return {
    name: "webhooks",
    handle,
    faultResponse: (status, incoming) => errorAnswer(status, incoming?.url.pathname ?? ""),
    messages: () => [...deliveries],
    reset() {
      deliveries = [];
    },
    describe(incoming) {
      // Retries of one event share its webhook-id: the log shows them as such.
      const id = incoming.headers.get("webhook-id");
      return id ? `webhook-id=${id}` : "";
    },
  };
}
