/**
 * Resend's webhooks are signed the Svix way (Standard Webhooks): `svix-id`, `svix-timestamp`
 * and `svix-signature` (space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * keyed with the base64 after `whsec_`), and are refused more than 5 minutes from our clock.
 * The HMAC is the `standardwebhooks` library's; the time is checked against the injected
 * clock (the library's verify() reads the system clock, which a test cannot set).
 */
import { Webhook } from "standardwebhooks";
import { timingSafeEqual } from "node:crypto";
import { acceptedSecrets, type VerifyingSecret } from "../platform/rotating_secret.ts";

/** Resend's (Svix's) tolerance either side of our clock. */
export const TOLERANCE_SECONDS = 5 * 60;

export type SignatureCheck =
  | { ok: true; id: string; timestamp: Date }
  | { ok: false; reason: string };

/** Reads the Svix headers, or the same under Standard Webhooks' `webhook-` names. */
function header(headers: Headers, name: string): string | null {
  return headers.get(`svix-${name}`) ?? headers.get(`webhook-${name}`);
}

function sameBytes(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether a webhook's body was signed with `secret` by its sender, within the tolerance. Any
 * of the header's signatures may match any accepted secret: while an endpoint's secret is
 * rotated Svix signs with both keys in one header, and during our own overlap
 * (`RESEND_WEBHOOK_SECRET_PREVIOUS`) either key alone is enough.
 */
export function verifySignature(
  secret: VerifyingSecret,
  headers: Headers,
  body: string,
  now: Date,
): SignatureCheck {
  const id = header(headers, "id");
  const stamp = header(headers, "timestamp");
  const signatures = header(headers, "signature");
  if (!id || !stamp || !signatures) {
    return { ok: false, reason: "Missing svix-id, svix-timestamp or svix-signature header" };
  }
  if (!/^\d{1,12}$/.test(stamp)) return { ok: false, reason: "svix-timestamp is not a Unix time" };
  const seconds = Number(stamp);
  if (Math.abs(now.getTime() / 1000 - seconds) > TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: "svix-timestamp is more than 5 minutes from now (stale or replayed)",
    };
  }
  const timestamp = new Date(seconds * 1000);
  const expected = acceptedSecrets(secret).map((value) =>
    new Webhook(value).sign(id, timestamp, body).slice("v1,".length)
  );
  let matches = false;
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || signature === undefined) continue;
    for (const value of expected) matches = sameBytes(signature, value) || matches;
  }
  return matches ? { ok: true, id, timestamp } : { ok: false, reason: "No matching signature" };
}
