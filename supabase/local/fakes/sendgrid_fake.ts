/**
 * A fake of SendGrid's v3 Mail Send API, `POST /v3/mail/send`, speaking its wire format:
 * Bearer auth (401 for an unknown key, 403 for a key without the Mail Send scope), the body
 * checked as SendGrid checks it (400 `{"errors":[{"message","field","help"}]}`), 413 over
 * 30 MB, a per-second limit answered 429 with `X-RateLimit-Limit` / `-Remaining` / `-Reset`,
 * and 202 with an empty body and `X-Message-Id` for an accepted send. Each personalization is
 * recorded as one email (`GET /__fake/messages`), shaped as the inbox shows Resend's.
 */
import type { HandlerContext, Incoming, Provider } from "./fake_endpoint.ts";
import type { FakeAttachment, FakeEmail } from "./resend_email.ts";
import { RollingWindowLimiter } from "./rate_limit.ts";

/** An email the fake SendGrid accepted: one personalization of one Mail Send call. */
export interface FakeSendGridEmail extends FakeEmail {
  provider: "sendgrid";
  /** The call's `X-Message-Id`; SendGrid's events carry it as the start of `sg_message_id`. */
  message_id: string;
  /** The call's and the personalization's `custom_args`, merged: SendGrid's events echo them. */
  custom_args: Record<string, string>;
  /** Each Event Webhook post about it, as sent (raw body, signed headers) and answered. */
  event_posts: Array<{ body: string; headers: Record<string, string>; answer: number }>;
}

export interface SendGridFakeOptions {
  apiKey: string;
  /** Mail Send calls a second before 429 (SendGrid meters by plan; the fake by second). */
  rateLimitPerSecond: number;
  now: () => number;
  /** Posts each accepted email's events (sendgrid_events.ts), after the answer. */
  eventsOf?: (email: FakeSendGridEmail) => (signal: AbortSignal) => Promise<void>;
}

export interface SendGridFake extends Provider {
  messages(): FakeSendGridEmail[];
}

const HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html";
const MAX_BYTES = 30 * 1024 * 1024;
const MAX_PERSONALIZATIONS = 1000;
const address = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** SendGrid's error body: `{"errors":[{"message","field","help"}]}`. */
export function sendGridError(
  status: number,
  message: string,
  field: string | null = null,
  headers?: HeadersInit,
): Response {
  return Response.json(
    { errors: [{ message, field, help: field === null ? null : `${HELP}#message.${field}` }] },
    { status, headers },
  );
}

class Refusal extends Error {
  constructor(message: string, readonly field: string | null) {
    super(message);
  }
}

function refuse(message: string, field: string | null = null): never {
  throw new Refusal(message, field);
}

interface EmailObject {
  email: string;
  name?: string;
}

function emailObject(value: unknown, field: string): EmailObject {
  const o = value as { email?: unknown; name?: unknown } | null;
  if (typeof o !== "object" || o === null || typeof o.email !== "string") {
    refuse("The email parameter is required.", `${field}.email`);
  }
  if (!address.test(o.email.trim())) refuse("Does not contain a valid address.", `${field}.email`);
  return { email: o.email.trim(), ...(typeof o.name === "string" ? { name: o.name } : {}) };
}

function emailList(value: unknown, field: string): EmailObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) refuse(`The ${field.split(".").pop()} field must be an array.`, field);
  return value.map((v, i) => emailObject(v, `${field}.${i}`));
}

const formatted = (e: EmailObject) => e.name ? `${e.name} <${e.email}>` : e.email;

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  const ok = typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string");
  if (!ok) refuse(`The ${field} field must be an object of strings.`, field);
  return value as Record<string, string>;
}

/** Checks a Mail Send body as SendGrid does; returns the emails it makes, one per personalization. */
export function parseMailSend(
  body: unknown,
): Array<Omit<FakeSendGridEmail, "id" | "created_at" | "message_id" | "events" | "event_posts">> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    refuse("Bad Request", null);
  }
  const b = body as Record<string, unknown>;
  const personalizations = b.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    refuse(
      "The personalizations field is required and must have at least one personalization.",
      "personalizations",
    );
  }
  if (personalizations.length > MAX_PERSONALIZATIONS) {
    refuse(
      "The personalizations field must have at most 1000 personalizations.",
      "personalizations",
    );
  }
  if (b.from === undefined) {
    refuse(
      "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
      "from",
    );
  }
  const from = emailObject(b.from, "from");
  const replyTo = b.reply_to === undefined ? null : emailObject(b.reply_to, "reply_to");
  const content = b.content;
  if (!Array.isArray(content) || content.length === 0) {
    refuse(
      "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.",
      "content",
    );
  }
  const parts = content.map((c, i) => {
    const part = c as { type?: unknown; value?: unknown };
    if (typeof part?.type !== "string" || part.type === "") {
      refuse("The content type cannot contain ';', or CRLF characters.", `content.${i}.type`);
    }
    if (typeof part.value !== "string" || part.value === "") {
      refuse(
        "The content value must be a string at least one character in length.",
        `content.${i}.value`,
      );
    }
    return { type: part.type, value: part.value };
  });
  const order: string[] = parts.map((p) => p.type).filter((t) =>
    t === "text/plain" || t === "text/html"
  );
  const expected = ["text/plain", "text/html"].filter((t) => order.includes(t));
  if (
    order.join() !== expected.join() ||
    parts.slice(0, order.length).some((p, i) => p.type !== order[i])
  ) {
    refuse(
      "If present, text/plain and text/html may only be provided in this order, before any other content.",
      "content",
    );
  }
  const attachments: FakeAttachment[] | null = b.attachments === undefined ? null : (() => {
    if (!Array.isArray(b.attachments)) {
      refuse("The attachments field must be an array.", "attachments");
    }
    return b.attachments.map((a, i) => {
      const at = a as { content?: unknown; filename?: unknown; type?: unknown };
      if (typeof at?.content !== "string" || !base64.test(at.content)) {
        refuse("The attachment content must be base64 encoded.", `attachments.${i}.content`);
      }
      if (typeof at.filename !== "string" || at.filename === "") {
        refuse("The attachment filename parameter is required.", `attachments.${i}.filename`);
      }
      return {
        filename: at.filename,
        content_type: typeof at.type === "string" ? at.type : "application/octet-stream",
        content: at.content,
        size: Math.floor(at.content.length * 3 / 4) - (at.content.match(/=+$/)?.[0].length ?? 0),
        path: null,
      };
    });
  })();
  const headers = stringMap(b.headers, "headers");
  const customArgs = stringMap(b.custom_args, "custom_args");
  const text = parts.find((p) => p.type === "text/plain")?.value ?? null;
  const html = parts.find((p) => p.type === "text/html")?.value ?? null;
  return personalizations.map((p, i) => {
    const field = `personalizations.${i}`;
    const per = p as Record<string, unknown>;
    if (!Array.isArray(per?.to) || per.to.length === 0) {
      refuse(
        "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
        `${field}.to`,
      );
    }
    const to = emailList(per.to, `${field}.to`);
    const cc = emailList(per.cc, `${field}.cc`);
    const bcc = emailList(per.bcc, `${field}.bcc`);
    const seen = new Set<string>();
    for (const [list, name] of [[to, "to"], [cc, "cc"], [bcc, "bcc"]] as const) {
      for (const e of list) {
        const key = e.email.toLowerCase();
        if (seen.has(key)) {
          refuse(
            `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${e.email}] in the ${field}.${name} field.`,
            `${field}.${name}`,
          );
        }
        seen.add(key);
      }
    }
    const subject = typeof per.subject === "string" ? per.subject : b.subject;
    if (typeof subject !== "string" || subject === "") {
      refuse(
        "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
        "subject",
      );
    }
    return {
      provider: "sendgrid" as const,
      from: formatted(from),
      to: to.map((e) => e.email),
      cc: cc.length ? cc.map((e) => e.email) : null,
      bcc: bcc.length ? bcc.map((e) => e.email) : null,
      reply_to: replyTo ? [formatted(replyTo)] : null,
      subject,
      html,
      text,
      headers: Object.keys(headers).length
        ? { ...headers, ...stringMap(per.headers, `${field}.headers`) }
        : null,
      tags: null,
      scheduled_at: null,
      attachments,
      idempotency_key: null,
      batch: false,
      custom_args: { ...customArgs, ...stringMap(per.custom_args, `${field}.custom_args`) },
    };
  });
}

/** `X-Message-Id`: 22 URL-safe base64 characters, as SendGrid's look. */
function messageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").slice(0, 22);
}

export function createSendGridFake(opts: SendGridFakeOptions): SendGridFake {
  const emails: FakeSendGridEmail[] = [];
  const limiter = new RollingWindowLimiter(opts.rateLimitPerSecond, 1000, opts.now);

  function limitHeaders(remaining: number, resetSeconds: number): Record<string, string> {
    return {
      "x-ratelimit-limit": String(opts.rateLimitPerSecond),
      "x-ratelimit-remaining": String(Math.max(0, remaining)),
      "x-ratelimit-reset": String(Math.ceil(opts.now() / 1000) + Math.max(1, resetSeconds)),
    };
  }

  async function handle(incoming: Incoming, ctx: HandlerContext): Promise<Response> {
    const auth = incoming.headers.get("authorization") ?? "";
    const key = auth.startsWith("Bearer ") ? auth.slice("Bearer ".length) : "";
    if (key === "" || !key.startsWith("SG.")) {
      return sendGridError(401, "The provided authorization grant is invalid, expired, or revoked");
    }
    if (key !== opts.apiKey) return sendGridError(403, "access forbidden");
    const path = incoming.url.pathname.replace(/\/+$/, "");
    if (path !== "/v3/mail/send") return sendGridError(404, "resource not found");
    if (incoming.method !== "POST") return sendGridError(405, "method not allowed");
    const rate = limiter.take();
    if (!rate.allowed) {
      return sendGridError(429, "too many requests", null, limitHeaders(0, rate.resetSeconds));
    }
    if (incoming.raw.byteLength > MAX_BYTES) {
      return sendGridError(413, "The JSON payload you have included in your request is too large.");
    }
    await ctx.delay();
    let parsed;
    try {
      parsed = parseMailSend(incoming.body);
    } catch (error) {
      if (error instanceof Refusal) return sendGridError(400, error.message, error.field);
      throw error;
    }
    const id = messageId();
    const at = new Date(opts.now()).toISOString();
    parsed.forEach((p, i) => {
      const email: FakeSendGridEmail = {
        ...p,
        id: i === 0 ? id : `${id}-${i}`,
        message_id: id,
        created_at: at,
        events: [],
        event_posts: [],
      };
      emails.push(email);
      if (opts.eventsOf) ctx.later(opts.eventsOf(email));
    });
    return new Response(null, {
      status: 202,
      headers: { "x-message-id": id, ...limitHeaders(rate.remaining, rate.resetSeconds) },
    });
  }

  return {
    name: "sendgrid",
    handle,
    faultResponse: (status) =>
      status === 429
        ? sendGridError(429, "too many requests", null, limitHeaders(0, 1))
        : sendGridError(status, status >= 500 ? "internal server error" : "Bad Request"),
    messages: () => [...emails],
    reset() {
      emails.length = 0;
      limiter.clear();
    },
    describe(incoming) {
      const body = incoming.body as {
        personalizations?: Array<{ to?: Array<{ email?: string }> }>;
      };
      const to = (body?.personalizations ?? []).flatMap((p) => (p.to ?? []).map((t) => t.email));
      return to.length ? `to=${to.slice(0, 3).join(",")}${to.length > 3 ? ",…" : ""}` : "";
    },
  };
}
