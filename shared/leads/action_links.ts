/**
 * The signed, expiring "I'm on it" link in staff alerts: the token carries who may act on which
 * lead, and how, so the lead-action function can trust it without a session. Format:
 * base64url(JSON payload) "." base64url(HMAC-SHA256 of the payload part).
 */
import { Buffer } from "node:buffer";
import { acceptedSecrets, type VerifyingSecret } from "../platform/rotating_secret.ts";

/** What a staff member confirms from an alert; the `lead_activities.activity_type` it records. */
export type LeadAction = "call_made" | "lead_claimed";

// A record rather than a list: a new LeadAction missing here fails the type check.
const LEAD_ACTIONS: Readonly<Record<LeadAction, true>> = {
  call_made: true,
  lead_claimed: true,
};

const SIGNATURE_BYTES = 32; // HMAC-SHA256

/** What an action link grants. */
export interface ActionClaims {
  /** A uuid of its own per link, so a second use of the same link can be told apart. */
  id: string;
  leadId: string;
  /** The member the alert went to; null for the admin inbox. */
  staffId: string | null;
  action: LeadAction;
  /** Stored to the second (truncated), so a link never outlives the time given. */
  expiresAt: Date;
}

/** Why {@linkcode verifyActionToken} refused a token. */
export type ActionTokenRefusal = "malformed" | "forged" | "expired";

/** The outcome of {@linkcode verifyActionToken}. */
export type ActionTokenCheck =
  | { ok: true; claims: ActionClaims }
  | { ok: false; reason: ActionTokenRefusal };

interface Payload {
  id: string;
  leadId: string;
  staffId: string | null;
  action: LeadAction;
  /** Expiry in epoch seconds. */
  exp: number;
}

/**
 * Signs `claims` with `secret` (HMAC-SHA256, Web Crypto).
 *
 * @throws {DOMException} When `secret` is empty (Web Crypto refuses a zero-length key).
 */
export async function signActionToken(
  claims: ActionClaims,
  secret: string,
): Promise<string> {
  const payload: Payload = {
    id: claims.id,
    leadId: claims.leadId,
    staffId: claims.staffId,
    action: claims.action,
    exp: Math.floor(claims.expiresAt.getTime() / 1000),
  };
  const body = toBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
  const key = await hmacKey(secret, "sign");
  const signature = await crypto.subtle.sign(
    "HMAC",
    key,
    new TextEncoder().encode(body),
  );
  return `${body}.${toBase64Url(new Uint8Array(signature))}`;
}

/**
 * Checks a token from a link: its signature (in constant time, before anything in the payload
 * is read), then its shape, then its expiry, which is exclusive (`now` = expiry is expired).
 * During a rotation `secret` carries the previous key too, so links signed before it stay
 * good until they expire; every key is tried, whichever matched.
 *
 * @throws {DOMException} When a secret is empty.
 */
export async function verifyActionToken(
  token: string,
  secret: VerifyingSecret,
  now: Date,
): Promise<ActionTokenCheck> {
  const parts = token.split(".");
  if (parts.length !== 2) return { ok: false, reason: "malformed" };
  const [body, signaturePart] = parts;
  const signature = fromBase64Url(signaturePart);
  if (body === "" || signature?.length !== SIGNATURE_BYTES) {
    return { ok: false, reason: "malformed" };
  }

  const data = new TextEncoder().encode(body);
  const verdicts = await Promise.all(
    acceptedSecrets(secret).map(async (value) =>
      crypto.subtle.verify("HMAC", await hmacKey(value, "verify"), signature, data)
    ),
  );
  if (!verdicts.includes(true)) return { ok: false, reason: "forged" };

  const payload = parsePayload(body);
  if (payload === null) return { ok: false, reason: "malformed" };
  if (now.getTime() >= payload.exp * 1000) {
    return { ok: false, reason: "expired" };
  }
  const { exp, ...rest } = payload;
  return { ok: true, claims: { ...rest, expiresAt: new Date(exp * 1000) } };
}

/** The link staff click: `${baseUrl}/lead-action?t=${token}`; a trailing slash is tolerated. */
export function actionLinkUrl(baseUrl: string, token: string): string {
  // A token is base64url and one dot, all characters a query string carries unescaped.
  return `${baseUrl.replace(/\/+$/, "")}/lead-action?t=${token}`;
}

function hmacKey(secret: string, usage: "sign" | "verify"): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [usage],
  );
}

// node:buffer, not Uint8Array.prototype.toBase64: the edge runtime's V8 (13.0) lacks it.
function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/**
 * The bytes of canonical unpadded base64url text; null for anything else. Decoders accept
 * padding, whitespace and stray low bits; refusing them keeps one token string per signature.
 */
function fromBase64Url(text: string) {
  const bytes = new Uint8Array(Buffer.from(text, "base64url"));
  return toBase64Url(bytes) === text ? bytes : null;
}

function parsePayload(body: string): Payload | null {
  const bytes = fromBase64Url(body);
  if (bytes === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { id, leadId, staffId, action, exp } = value as Record<string, unknown>;
  const text = (v: unknown): v is string => typeof v === "string" && v !== "";
  if (!text(id) || !text(leadId) || !(staffId === null || text(staffId))) {
    return null;
  }
  if (typeof action !== "string" || !Object.hasOwn(LEAD_ACTIONS, action)) {
    return null;
  }
  if (typeof exp !== "number" || !Number.isSafeInteger(exp)) return null;
  return { id, leadId, staffId, action: action as LeadAction, exp };
}
