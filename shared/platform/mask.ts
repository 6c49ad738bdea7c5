/**
 * Masking of personal data before it reaches a log line. Enough is kept to tell two
 * customers apart while debugging ("+1720***7465"), not enough to contact them.
 */
import { findPhoneNumbersInText, parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * Masks a phone number: country code, the first three national digits and the last four
 * stay; the rest becomes `***`. `maskPhone("+17209187465") === "+1720***7465"`.
 * Numbers too short for that keep only their last two digits; text that is not a phone
 * number at all becomes `***`.
 */
export function maskPhone(phone: string): string {
  const parsed = parsePhoneNumberFromString(phone, "US");
  if (!parsed) return "***";
  const national = parsed.nationalNumber;
  const kept = national.length >= 8
    ? `${national.slice(0, 3)}***${national.slice(-4)}`
    : `***${national.slice(-2)}`;
  return `+${parsed.countryCallingCode}${kept}`;
}

/**
 * Masks an email address: the first character of the local part and the whole domain stay.
 * `maskEmail("jane.doe@example.com") === "j***@example.com"`. Text without an `@` becomes `***`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

// Finding an email address inside free text; not a validator.
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

// Where a phone number may be: seven digits with nothing but separators between them (the
// least any number has), or a "+" before digits. The finders refuse a number glued to a
// letter or digit before it, so the digit runs inside ids (Twilio's hex SIDs, UUIDs), which
// are in most log lines, are not worth a search.
const MAYBE_PHONE = /\+[\s().\/-]*\d|(?<![A-Za-z0-9])\d(?:[\s().\/-]*\d){6}/;

interface Span {
  start: number;
  end: number;
}

function phoneSpans(text: string): Span[] {
  // Valid numbers in any format, refusing digit runs glued to letters (ids, SIDs) ...
  const spans: Span[] = findPhoneNumbersInText(text, "US").map((found) => ({
    start: found.startsAt,
    end: found.endsAt,
  }));
  // ... plus anything written as "+digits" even when no real number has that shape
  // (+15555555555): it was meant as a phone number, so it is personal data all the same.
  // `extended` finds merely possible numbers, glued to letters or not; only the "+" ones count.
  for (const found of findPhoneNumbersInText(text, { defaultCountry: "US", extended: true })) {
    if (text[found.startsAt] === "+") spans.push({ start: found.startsAt, end: found.endsAt });
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * Masks every email address and phone number inside a log line, whatever their format
 * ("(720) 918-7465", "+17209187465", "jane@example.com"). Reference numbers, ids and
 * timestamps are left alone.
 */
export function maskPII(text: string): string {
  const withoutEmails = text.replace(EMAIL_IN_TEXT, (email) => maskEmail(email));
  // Searching for numbers with the full metadata is slow, and most log lines hold none.
  if (!MAYBE_PHONE.test(withoutEmails)) return withoutEmails;
  let out = "";
  let from = 0;
  for (const span of phoneSpans(withoutEmails)) {
    out += withoutEmails.slice(from, span.start) +
      maskPhone(withoutEmails.slice(span.start, span.end));
    from = span.end;
  }
  return out + withoutEmails.slice(from);
}
