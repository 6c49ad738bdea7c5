/**
 * A fake of Resend's email API: `POST /emails`, `POST /emails/batch`, `GET /emails/{id}`,
 * with Bearer auth, request validation, `Idempotency-Key` and the per-team rate limit.
 */
import type { HandlerContext, Incoming, Provider } from "./fake_endpoint.ts";
import { ControlBodyError } from "./faults.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { uuid } from "./ids.ts";
import { RollingWindowLimiter } from "./rate_limit.ts";
import {
  rateLimitExceeded,
  rateLimitHeaders,
  resendError,
  resendGenericError,
} from "./resend_errors.ts";
import { type FakeEmail, parseEmail, Refusal, refuse } from "./resend_email.ts";
import { createEventPoster, type ResendWebhookOptions } from "./resend_events.ts";

export type { FakeAttachment, FakeEmail, FakeEmailEvent } from "./resend_email.ts";

export interface ResendFakeOptions {
  apiKey: string;
  rateLimitPerSecond: number;
  now: () => number;
  /** Where the fake posts email events, signed, as a Resend webhook endpoint would get them. */
  webhook?: Omit<ResendWebhookOptions, "now">;
}

const maxBatch = 100;
const maxIdempotencyKey = 256;

export interface ResendFake extends Provider {
  messages(): FakeEmail[];
}

export function createResendFake(opts: ResendFakeOptions): ResendFake {
  const emails = new Map<string, FakeEmail>();
  const limiter = new RollingWindowLimiter(opts.rateLimitPerSecond, 1000, opts.now);
  const idempotency = new IdempotencyStore(opts.now);
  const eventsOf = opts.webhook ? createEventPoster({ ...opts.webhook, now: opts.now }) : null;
  /** Emails accepted by the request being answered: their events are posted after it. */
  let accepted: FakeEmail[] = [];

  function store(
    parsed: ReturnType<typeof parseEmail>,
    idempotencyKey: string | null,
    batch: boolean,
  ): string {
    const id = uuid();
    const email: FakeEmail = {
      id,
      created_at: new Date(opts.now()).toISOString(),
      ...parsed,
      idempotency_key: idempotencyKey,
      batch,
      events: [],
    };
    emails.set(id, email);
    accepted.push(email);
    return id;
  }

  /** Validates and stores a `/emails` or `/emails/batch` body; returns the answer body. */
  function send(path: string, body: unknown, headers: Headers, key: string | null): unknown {
    if (path === "/emails") {
      if (body === undefined) refuse(400, "validation_error", "Invalid JSON in the request body.");
      return { id: store(parseEmail(body, false), key, false) };
    }
    if (!Array.isArray(body)) {
      refuse(422, "validation_error", "The request body must be an array of emails.");
    }
    if (body.length === 0) {
      refuse(422, "validation_error", "The batch must contain at least one email.");
    }
    if (body.length > maxBatch) {
      refuse(422, "validation_error", `Too many emails in the batch, the maximum is ${maxBatch}.`);
    }
    const permissive = headers.get("x-batch-validation") === "permissive";
    const valid: Array<ReturnType<typeof parseEmail>> = [];
    const errors: Array<{ index: number; message: string }> = [];
    for (const [index, item] of body.entries()) {
      try {
        valid.push(parseEmail(item, true));
      } catch (error) {
        if (!(error instanceof Refusal) || !permissive) throw error;
        errors.push({ index, message: error.message });
      }
    }
    const data = valid.map((parsed) => ({ id: store(parsed, key, true) }));
    return permissive ? { data, errors } : { data };
  }

  function emailResource(e: FakeEmail) {
    return {
      object: "email",
      id: e.id,
      to: e.to,
      from: e.from,
      created_at: e.created_at,
      subject: e.subject,
      html: e.html,
      text: e.text,
      bcc: e.bcc,
      cc: e.cc,
      reply_to: e.reply_to,
      // Resend names the latest event; with no webhook configured, the fake's emails are delivered.
      last_event: e.events.at(-1)?.type.replace(/^email\./, "") ??
        (eventsOf ? "sent" : "delivered"),
      scheduled_at: e.scheduled_at,
      tags: e.tags ?? [],
    };
  }

  async function handle(incoming: Incoming, ctx: HandlerContext): Promise<Response> {
    const auth = incoming.headers.get("authorization") ?? "";
    if (!auth.startsWith("Bearer ") || auth.length === "Bearer ".length) {
      return resendError(401, "missing_api_key", "Missing API key in the authorization header.");
    }
    if (auth.slice("Bearer ".length) !== opts.apiKey) {
      return resendError(403, "invalid_api_key", "API key is invalid");
    }

    const rate = limiter.take();
    if (!rate.allowed) return rateLimitExceeded(rate.limit, rate.resetSeconds);
    const limitHeaders = rateLimitHeaders(rate.limit, rate.remaining, rate.resetSeconds);
    delete limitHeaders["retry-after"];
    const answer = (status: number, body: unknown) =>
      Response.json(body, { status, headers: limitHeaders });

    const path = incoming.url.pathname.replace(/\/+$/, "");
    const got = path.match(/^\/emails\/([^/]+)$/);
    if (got && got[1] !== "batch") {
      if (incoming.method !== "GET") return resendGenericError(405, rate.limit);
      await ctx.delay();
      const email = emails.get(got[1]);
      return email
        ? answer(200, emailResource(email))
        : resendError(404, "not_found", "Email not found");
    }
    if (path !== "/emails" && path !== "/emails/batch") return resendGenericError(404, rate.limit);
    if (incoming.method !== "POST") return resendGenericError(405, rate.limit);

    const key = incoming.headers.get("idempotency-key");
    if (key !== null && (key.length < 1 || key.length > maxIdempotencyKey)) {
      return resendError(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
    }
    const scopedKey = key === null ? null : `${path} ${key}`;
    if (scopedKey !== null) {
      const outcome = idempotency.begin(scopedKey, JSON.stringify(incoming.body));
      if (outcome.kind === "replay") return answer(outcome.answer.status, outcome.answer.body);
      if (outcome.kind === "different_body") {
        return resendError(
          409,
          "invalid_idempotent_request",
          "Same idempotency key used with a different request payload.",
        );
      }
      if (outcome.kind === "in_flight") {
        return resendError(
          409,
          "concurrent_idempotent_requests",
          "Same idempotency key used while original request is still in progress.",
        );
      }
    }
    // The key is reserved while we "work", so a concurrent retry sees it in flight.
    await ctx.delay();
    try {
      accepted = [];
      const body = send(path, incoming.body, incoming.headers, key);
      if (scopedKey !== null) idempotency.complete(scopedKey, { status: 200, body });
      if (eventsOf) { for (const email of accepted) ctx.later(eventsOf(email)); }
      return answer(200, body);
    } catch (error) {
      if (scopedKey !== null) idempotency.abandon(scopedKey);
      if (error instanceof Refusal) return error.toResponse();
      throw error;
    }
  }

  return {
    name: "resend",
    handle,
    faultResponse: (status) => resendGenericError(status, limiter.limit),
    control(action, body) {
      if (action !== "rate-limit") return undefined;
      // The team's limit, as Resend raises it on request: every answer states it from now on.
      const perSecond = (body as { perSecond?: unknown } | null)?.perSecond;
      if (!Number.isInteger(perSecond) || (perSecond as number) < 1) {
        throw new ControlBodyError('rate-limit takes {"perSecond": <a whole number from 1>}');
      }
      limiter.limit = perSecond as number;
      limiter.clear();
      return Response.json({ perSecond });
    },
    messages: () => [...emails.values()],
    reset() {
      emails.clear();
      limiter.limit = opts.rateLimitPerSecond;
      limiter.clear();
      idempotency.clear();
    },
    describe(incoming) {
      const body = incoming.body;
      const list = Array.isArray(body) ? body : [body];
      const to = list.flatMap((e) => {
        const value = (e as { to?: unknown } | null)?.to;
        return Array.isArray(value) ? value : value === undefined ? [] : [value];
      });
      return to.length ? `to=${to.slice(0, 3).join(",")}${to.length > 3 ? ",…" : ""}` : "";
    },
  };
}
