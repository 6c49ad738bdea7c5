/**
 * Twilio signs each webhook (`X-Twilio-Signature`) with the account's primary auth token. While
 * the token is rotated the primary is still the old one until the secondary is promoted, so
 * both are accepted during the overlap (`TWILIO_AUTH_TOKEN_PREVIOUS`). The comparison is the
 * Twilio SDK's own, in constant time; every token is tried, whichever matched.
 */
// The SDK's webhook module alone: its index loads the whole REST client.
import { validateRequest } from "twilio/lib/webhooks/webhooks.js";
import { acceptedSecrets, type VerifyingSecret } from "../platform/rotating_secret.ts";

/** Whether `signature` is Twilio's over `url` and `params` with one of the accepted tokens. */
export function twilioSignatureValid(
  authToken: VerifyingSecret,
  signature: string,
  request: { url: string; params: Record<string, string> },
): boolean {
  let valid = false;
  for (const token of acceptedSecrets(authToken)) {
    valid = validateRequest(token, signature, request.url, request.params) || valid;
  }
  return valid;
}
