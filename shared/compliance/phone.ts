/**
 * Phone numbers: normalising what a form typed to E.164, and deciding whether a number
 * can receive a text at all. Parsing is libphonenumber-js with its full ("max") metadata,
 * the only metadata set that knows a landline from a mobile.
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";

/** What we need to know of a stored number. */
interface NumberFacts {
  e164: string;
  valid: boolean;
  country: CountryCode | undefined;
  type: string | undefined;
  display: string;
}

// Parsing and validating with the full metadata costs about a millisecond, and a burst looks
// at each number several times (planning, sending, the templates): remember the last few
// thousand.
const known = new Map<string, NumberFacts | undefined>();
const KNOWN_KEPT = 5_000;

function factsOf(phone: string): NumberFacts | undefined {
  if (known.has(phone)) return known.get(phone);
  if (known.size >= KNOWN_KEPT) known.clear();
  const number = parsePhoneNumberFromString(phone);
  const facts = number && {
    e164: number.number,
    valid: number.isValid(),
    country: number.country,
    type: number.getType(),
    display: number.country === "US" ? number.formatNational() : number.formatInternational(),
  };
  known.set(phone, facts);
  return facts;
}

/**
 * Normalises a phone number as typed ("(720) 918-7465", "720.918.7465", "+1 720 918 7465")
 * to E.164 ("+17209187465").
 *
 * @param input What the customer typed; numbers without a country code are read as
 *   `defaultCountry` numbers.
 * @param defaultCountry ISO country of numbers given without a country code. Default "US".
 * @returns The E.164 form, or null when the input is empty or not a valid number.
 */
export function toE164(
  input: string | null | undefined,
  defaultCountry: CountryCode = "US",
): string | null {
  if (input === null || input === undefined || input.trim() === "") return null;
  const parsed = parsePhoneNumberFromString(input, defaultCountry);
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}

/**
 * Formats an E.164 number for people to read: national format for US numbers
 * ("(720) 918-7465"), international format otherwise ("+44 20 7946 0958").
 * Returns the input unchanged when it does not parse, so a bad number still shows.
 */
export function formatPhoneForDisplay(phoneE164: string): string {
  return factsOf(phoneE164)?.display ?? phoneE164;
}

/** Why a number cannot be texted; written to the outbox as the suppression reason. */
export type SmsUnreachableReason =
  | "missing_phone"
  | "invalid_phone"
  | "not_mobile_capable"
  | "unsupported_country";

/** Whether a text can be sent to a number, and if not, why. */
export type SmsReachability = { ok: true } | { ok: false; reason: SmsUnreachableReason };

/** Options for {@linkcode smsReachability}. */
export interface SmsReachabilityOptions {
  /** Countries the shop texts. Default `["US", "CA"]` (Twilio's default geo permissions). */
  allowedCountries?: readonly CountryCode[];
}

// Number types that cannot receive a text. US numbers are FIXED_LINE_OR_MOBILE (the plan
// does not tell them apart), so for them only the carrier's answer (Twilio 21614 / 30006)
// can say "landline"; elsewhere the metadata already knows.
const NOT_TEXTABLE_TYPES = new Set([
  "FIXED_LINE",
  "TOLL_FREE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "PAGER",
  "UAN",
  "VOICEMAIL",
]);

/**
 * Decides whether an SMS may be attempted to `phoneE164`, from the number alone (consent
 * is a separate question). Twilio's magic test numbers (+15005550001, +15005550009,
 * +15005550004) are well-formed and pass: rejecting them is the provider's job.
 *
 * @param phoneE164 The number as stored (`leads.phone_e164`); anything not already in
 *   E.164 form counts as invalid.
 */
export function smsReachability(
  phoneE164: string | null | undefined,
  options: SmsReachabilityOptions = {},
): SmsReachability {
  const { allowedCountries = ["US", "CA"] } = options;
  if (phoneE164 === null || phoneE164 === undefined || phoneE164.trim() === "") {
    return { ok: false, reason: "missing_phone" };
  }
  const number = factsOf(phoneE164);
  if (!number || !number.valid || number.e164 !== phoneE164) {
    return { ok: false, reason: "invalid_phone" };
  }
  if (!number.country || !allowedCountries.includes(number.country)) {
    return { ok: false, reason: "unsupported_country" };
  }
  const type = number.type;
  if (type !== undefined && NOT_TEXTABLE_TYPES.has(type)) {
    return { ok: false, reason: "not_mobile_capable" };
  }
  return { ok: true };
}
