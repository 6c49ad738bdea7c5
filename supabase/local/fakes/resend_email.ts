/**
 * What Resend accepts as one email on `POST /emails` or in `POST /emails/batch`, checked the
 * way the real API checks it, and the email as the fake records it.
 */
import { resendError } from "./resend_errors.ts";

/** An attachment as the fake records it. */
export interface FakeAttachment {
  filename: string;
  /** As sent, or derived from the filename's extension (as Resend does). */
  content_type: string;
  /** The base64 that came on the wire; "" for an attachment Resend would fetch from `path`. */
  content: string;
  /** Decoded size in bytes; null for an attachment fetched from `path`. */
  size: number | null;
  path: string | null;
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
  /** Null when the email has none (the batch endpoint never takes them). */
  attachments: FakeAttachment[] | null;
  idempotency_key: string | null;
  /** True when it came through `POST /emails/batch`. */
  batch: boolean;
  /** The webhook events the fake posted about it so far (resend_events.ts), oldest first. */
  events: FakeEmailEvent[];
}

/** One event posted to the webhook endpoint, and how the endpoint answered. */
export interface FakeEmailEvent {
  type: string;
  svix_id: string;
  at: string;
  /** The endpoint's last HTTP status; null while unanswered or when it could not be reached. */
  answer: number | null;
}

const maxRecipients = 50;
const address = /^(?:[^<>]*<\s*[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>|[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+)$/;
const addressFormat =
  "The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.";

/** A request Resend refuses, and why. */
export class Refusal extends Error {
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

export function refuse(status: number, name: Refusal["errorName"], message: string): never {
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

const maxEmailBytes = 40 * 1024 * 1024;
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const typesByExtension: Record<string, string> = {
  ics: "text/calendar",
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  txt: "text/plain",
  html: "text/html",
  csv: "text/csv",
};

/** Validates `attachments` (content as base64, or a URL Resend would fetch); throws Refusal. */
function parseAttachments(value: unknown): FakeAttachment[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) {
    refuse(422, "validation_error", "Invalid `attachments` field. It must be an array.");
  }
  let total = 0;
  const parsed = value.map((item, i): FakeAttachment => {
    const field = `attachments[${i}]`;
    const a = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    if (typeof a.filename !== "string" || a.filename.trim() === "") {
      refuse(422, "missing_required_field", `Missing \`${field}.filename\` field.`);
    }
    const hasContent = a.content !== undefined && a.content !== null;
    const hasPath = a.path !== undefined && a.path !== null;
    if (hasContent === hasPath) {
      refuse(
        422,
        "validation_error",
        `Invalid \`${field}\` field. It needs either a \`content\` (base64) or a \`path\` (URL).`,
      );
    }
    if (hasContent && (typeof a.content !== "string" || !base64.test(a.content))) {
      refuse(422, "validation_error", `Invalid \`${field}.content\` field. It must be base64.`);
    }
    if (hasPath && (typeof a.path !== "string" || !/^https?:\/\/[^\s]+$/.test(a.path))) {
      refuse(422, "validation_error", `Invalid \`${field}.path\` field. It must be a URL.`);
    }
    const content = hasContent ? a.content as string : "";
    total += content.length;
    const extension = a.filename.split(".").pop()?.toLowerCase() ?? "";
    return {
      filename: a.filename,
      content_type: optionalString(a.content_type, `${field}.content_type`) ??
        typesByExtension[extension] ?? "application/octet-stream",
      content,
      size: hasContent ? atob(content).length : null,
      path: hasPath ? a.path as string : null,
    };
  });
  if (total > maxEmailBytes) {
    refuse(422, "validation_error", "The email is over 40MB (attachments counted as base64).");
  }
  return parsed;
}

/** Validates one email of a request; throws Refusal. */
export function parseEmail(
  input: unknown,
  inBatch: boolean,
): Omit<FakeEmail, "id" | "created_at" | "idempotency_key" | "batch" | "events"> {
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
  // Resend's docs say the batch endpoint does not support attachments; it has been seen to
  // drop them silently. The fake refuses them, so a call that would lose an invite fails here.
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
    attachments: parseAttachments(e.attachments),
  };
}
