/** Identifiers in the shapes the real providers use. */

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A Twilio Message SID: "SM" (an SMS) or "MM" (an MMS) and 32 lowercase hex digits. */
export function messageSid(prefix: "SM" | "MM" = "SM"): string {
  return `${prefix}${randomHex(16)}`;
}

/** An id for Resend emails and Storage objects (both are UUIDs). */
export function uuid(): string {
  return crypto.randomUUID();
}

/** An RFC 2822 date as Twilio writes it: `Thu, 24 Aug 2023 05:01:45 +0000`. */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}
