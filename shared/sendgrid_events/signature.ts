/**
 * SendGrid's Signed Event Webhook: each post carries `X-Twilio-Email-Event-Webhook-Signature`
 * (base64 of a DER ECDSA P-256 / SHA-256 signature) over `X-Twilio-Email-Event-Webhook-Timestamp`
 * followed by the raw body, made with SendGrid's private key; we hold the public verification key
 * SendGrid shows under Mail Settings → Signed Event Webhook (base64 DER SPKI). A post more than 10
 * minutes from our clock is refused as stale or replayed. Verified with node:crypto, which runs
 * under the edge runtime's Deno 2.1.4 (Web Crypto would take the signature only as raw r‖s).
 */
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { acceptedSecrets, type VerifyingSecret } from "../platform/rotating_secret.ts";

export const SIGNATURE_HEADER = "x-twilio-email-event-webhook-signature";
export const TIMESTAMP_HEADER = "x-twilio-email-event-webhook-timestamp";

/** How far a post's timestamp may be from our clock. */
export const TOLERANCE_SECONDS = 10 * 60;

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

function verifiesWith(publicKey: string, payload: Buffer, signature: Buffer): boolean {
  try {
    const key = createPublicKey({
      key: Buffer.from(publicKey, "base64"),
      format: "der",
      type: "spki",
    });
    return verify("sha256", payload, key, signature);
  } catch {
    // A malformed signature (not DER) verifies nothing.
    return false;
  }
}

/**
 * Whether SendGrid signed this post, within the tolerance. `keys`: the verification key, and the
 * previous one while the webhook's key is being replaced (`SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS`).
 */
export function verifySendGridSignature(
  keys: VerifyingSecret,
  headers: Headers,
  body: string,
  now: Date,
): SignatureCheck {
  const signature = headers.get(SIGNATURE_HEADER);
  const stamp = headers.get(TIMESTAMP_HEADER);
  if (!signature || !stamp) {
    return {
      ok: false,
      reason: "Missing X-Twilio-Email-Event-Webhook-Signature or -Timestamp header",
    };
  }
  if (!/^\d{1,12}$/.test(stamp)) {
    return { ok: false, reason: "X-Twilio-Email-Event-Webhook-Timestamp is not a Unix time" };
  }
  if (Math.abs(now.getTime() / 1000 - Number(stamp)) > TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason:
        "X-Twilio-Email-Event-Webhook-Timestamp is more than 10 minutes from now (stale or replayed)",
    };
  }
  const payload = Buffer.from(stamp + body, "utf8");
  const sig = Buffer.from(signature, "base64");
  let matches = false;
  for (const key of acceptedSecrets(keys)) matches = verifiesWith(key, payload, sig) || matches;
  return matches ? { ok: true } : { ok: false, reason: "No matching signature" };
}
