/**
 * What Twilio itself does with an incoming text before our webhook sees it: its keyword
 * handling (opt-out, opt-in, help, each answered with Twilio's default reply) and its lookup
 * of where the phones are.
 */

export type TwilioKeyword = "STOP" | "START" | "HELP";

/**
 * Twilio's default keywords (docs: "Customize users' opt-in and opt-out experience with
 * Advanced Opt-Out", and Twilio's support article on opt-out keywords). Only a whole message
 * counts: "STOP PLEASE" is not blocked by Twilio.
 */
const keywords: Record<string, TwilioKeyword> = Object.fromEntries([
  ...["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"].map(
    (k) => [k, "STOP"],
  ),
  ...["START", "YES", "UNSTOP"].map((k) => [k, "START"]),
  ...["HELP", "INFO"].map((k) => [k, "HELP"]),
]);

/** The keyword a whole message is, trimmed and case-insensitive, or undefined. */
export function twilioKeyword(body: string): TwilioKeyword | undefined {
  return keywords[body.trim().toUpperCase()];
}

/** Twilio's default replies to its keywords on a long code. */
export const autoReplies: Record<TwilioKeyword, string> = {
  STOP:
    "You have successfully been unsubscribed. You will not receive any more messages from this number. Reply START to resubscribe.",
  START:
    "You have successfully been resubscribed to messages from this number. Reply HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
  HELP: "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
};

/** Twilio's lookup of a US number's place; unknown numbers get empty strings, as on Twilio. */
const places: Record<string, [city: string, state: string, zip: string]> = {
  "+1303": ["DENVER", "CO", "80202"],
  "+1720": ["DENVER", "CO", "80202"],
};

/** `FromCity`, `FromState`, `FromZip`, `FromCountry` (or `To…`) for a phone. */
export function placeParams(prefix: "From" | "To", phone: string): Record<string, string> {
  const [city, state, zip] = places[phone.slice(0, 5)] ?? ["", "", ""];
  return {
    [`${prefix}City`]: city,
    [`${prefix}State`]: state,
    [`${prefix}Zip`]: zip,
    [`${prefix}Country`]: phone.startsWith("+1") ? "US" : "",
  };
}
