/**
 * A fake of Resend's email API: `POST /emails`, `POST /emails/batch`, `GET /emails/{id}`,
 * with Bearer auth, request validation, `Idempotency-Key` and the per-team rate limit.
 */
import type { HandlerContext, Incoming, Provider } from "./fake_endpoint.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { uuid } from "./ids.ts";
import { RollingWindowLimiter } from "./rate_limit.ts";
import {
  rateLimitExceeded,
  rateLimitHeaders,
  resendError,
  resendGenericError,
} from "./resend_errors.ts";

export interface ResendFakeOptions {
  apiKey: string;
  rateLimitPerSecond: number;
  now: () => number;
}

/** An accepted email, as `GET /__fake/messages` lists it. */
export interface FakeEmail {
  id: string;
  created_at: string;
  from: string;
  to: string[];
  cc: string[] | null;
  bcc: string[] | null;
  reply_to: string[] | null;
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string> | null;
  tags: Array<{ name: string; value: string }> | null;
  scheduled_at: string | null;
  idempotency_key: string | null;
  /** True when it came through `POST /emails/batch`. */
  batch: boolean;
}

const maxRecipients = 50;
const maxBatch = 100;
const maxIdempotencyKey = 256;
const address = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;
const addressFormat =
  "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.";

/** A request Resend refuses, and why. */
class Refusal extends Error {
  override name = "Refusal";

  constructor(
    readonly status: number,
    readonly errorName: "validation_error" | "missing_required_field",
    message: string,
  ) {
    super(message);
  }

  toResponse(): Response {
    return resendError(this.status, this.errorName, this.message);
  }
}

function refuse(status: number, name: Refusal["errorName"], message: string): never {
  throw new Refusal(status, name, message);
}

function addresses(value: unknown, fieldName: string, required: boolean): string[] | null {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    if (required) refuse(422, "missing_required_field", `Missing \`${fieldName}\` field.`);
    return null;
  }
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((a) => typeof a === "string" && address.test(a.trim()))) {
    refuse(422, "validation_error", `Invalid \`${fieldName}\` field. ${addressFormat}`);
  }
  if (list.length > maxRecipients) {
    refuse(
      422,
      "validation_error",
      `Invalid \`${fieldName}\` field. Too many recipients, the maximum is ${maxRecipients}.`,
    );
  }
  return list as string[];
}

function optionalString(value: unknown, fieldName: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") {
    refuse(422, "validation_error", `Invalid \`${fieldName}\` field. It must be a string.`);
  }
  return value;
}

function stringMap(value: unknown, fieldName: string): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  const ok = typeof value === "object" && !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
  if (!ok) {
    refuse(
      422,
      "validation_error",
      `Invalid \`${fieldName}\` field. It must be an object of strings.`,
    );
  }
  return value as Record<string, string>;
}

/** Validates one email of a request; throws Refusal. */
function parseEmail(
  input: unknown,
  inBatch: boolean,
): Omit<FakeEmail, "id" | "created_at" | "idempotency_key" | "batch"> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    refuse(422, "validation_error", "Invalid email: it must be a JSON object.");
  }
  const e = input as Record<string, unknown>;
  if (typeof e.from !== "string" || e.from === "") {
    refuse(422, "missing_required_field", "Missing `from` field.");
  }
  if (!address.test(e.from.trim())) {
    refuse(422, "validation_error", `Invalid \`from\` field. ${addressFormat}`);
  }
  const to = addresses(e.to, "to", true)!;
  if (typeof e.subject !== "string" || e.subject === "") {
    refuse(422, "missing_required_field", "Missing `subject` field.");
  }
  if (inBatch && e.attachments !== undefined && e.attachments !== null) {
    refuse(422, "validation_error", "The `attachments` field is not supported for batch emails.");
  }
  if (inBatch && e.scheduled_at !== undefined && e.scheduled_at !== null) {
    refuse(422, "validation_error", "The `scheduled_at` field is not supported for batch emails.");
  }
  const tags = e.tags === undefined || e.tags === null ? null : e.tags;
  if (
    tags !== null &&
    !(Array.isArray(tags) &&
      tags.every((t) => typeof t?.name === "string" && typeof t?.value === "string"))
  ) {
    refuse(422, "validation_error", "Invalid `tags` field. Each tag needs a `name` and a `value`.");
  }
  return {
    from: e.from,
    to,
    cc: addresses(e.cc, "cc", false),
    bcc: addresses(e.bcc, "bcc", false),
    reply_to: addresses(e.reply_to, "reply_to", false),
    subject: e.subject,
    html: optionalString(e.html, "html"),
    text: optionalString(e.text, "text"),
    headers: stringMap(e.headers, "headers"),
    tags: tags as FakeEmail["tags"],
    scheduled_at: optionalString(e.scheduled_at, "scheduled_at"),
  };
}

export interface ResendFake extends Provider {
  messages(): FakeEmail[];
}

export function createResendFake(opts: ResendFakeOptions): ResendFake {
  const emails = new Map<string, FakeEmail>();
  const limiter = new RollingWindowLimiter(opts.rateLimitPerSecond, 1000, opts.now);
  const idempotency = new IdempotencyStore(opts.now);

  function store(
    parsed: ReturnType<typeof parseEmail>,
    idempotencyKey: string | null,
    batch: boolean,
  ): string {
    const id = uuid();
    emails.set(id, {
      id,
      created_at: new Date(opts.now()).toISOString(),
      ...parsed,
      idempotency_key: idempotencyKey,
      batch,
    });
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
      last_event: "delivered",
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
      const body = send(path, incoming.body, incoming.headers, key);
      if (scopedKey !== null) idempotency.complete(scopedKey, { status: 200, body });
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
    faultResponse: (status) => resendGenericError(status, opts.rateLimitPerSecond),
    messages: () => [...emails.values()],
    reset() {
      emails.clear();
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
