/**
 * A secret that others sign with can be rotated without refusing a single request: while the
 * senders move over (the database's Vault secret, Twilio's promoted token, Resend's endpoint,
 * links already in staff inboxes), a verifier accepts the value being replaced too, from the
 * `<NAME>_PREVIOUS` variable. Whatever we sign ourselves always uses the current value. README,
 * "Rotating secrets", gives each secret's order of steps.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** A verified secret: the current value, and the previous one while a rotation overlaps. */
export interface RotatingSecret {
  current: string;
  /** Set only during a rotation (`<NAME>_PREVIOUS`); accepted, never used to sign. */
  previous?: string;
}

/** A bare string is a secret with no previous value. */
export type VerifyingSecret = string | RotatingSecret;

/** The values a verifier accepts, current first; an empty or repeated previous is dropped. */
export function acceptedSecrets(secret: VerifyingSecret): string[] {
  if (typeof secret === "string") return [secret];
  const { current, previous } = secret;
  return previous === undefined || previous === "" || previous === current
    ? [current]
    : [current, previous];
}

/**
 * Whether `presented` is one of the accepted values, in constant time: both sides are hashed to
 * the same length first, and every accepted value is compared (no early return tells a caller
 * which one matched, or that the first did not).
 */
export function matchesSecret(presented: string | null, secret: VerifyingSecret): boolean {
  if (presented === null) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  const given = digest(presented);
  let matched = false;
  for (const value of acceptedSecrets(secret)) {
    matched = timingSafeEqual(given, digest(value)) || matched;
  }
  return matched;
}
