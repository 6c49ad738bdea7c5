/**
 * A text that stays within its budget whatever the customer typed. A template gives its
 * wordings, fullest first, and the customer-typed parts they print (a name, a vehicle, an
 * address); the fixed words (the Ref, the shop's phone, the opt-out line) are the template's
 * own and are never cut. Fitting tries, in order:
 *
 *   1. each wording with the parts as typed, then with their accents dropped where GSM-7 has
 *      no such letter ("María" → "Maria": one "í" makes the whole text UCS-2, 70 characters
 *      a segment instead of 160);
 *   2. the last (shortest) wording with the parts cut to the longest length that fits, each
 *      cut part ending in "..." (GSM-7: a real ellipsis would itself be UCS-2).
 */
import { GSM7_BASIC_CLASS, GSM7_EXTENSION_CLASS, smsCost } from "./segments.ts";
import { clip } from "../wording.ts";

/** A customer text's budget: two segments (the plan's cost per lead rests on it). */
export const CUSTOMER_SMS_SEGMENTS = 2;

/**
 * A staff text's budget: its signed "I'm on it" link alone is some 330 characters; longer is
 * fine, but not the 10 segments Twilio allows at most.
 */
export const STAFF_SMS_SEGMENTS = 4;

/** The customer-typed parts a wording prints; null when the lead has none. */
export type TypedParts<K extends string> = Readonly<Record<K, string | null>>;

/** One wording of a text: its body from the parts. */
export type Wording<K extends string> = (parts: TypedParts<K>) => string;

const CUT = "...";

const NOT_GSM7 = new RegExp(`[^${GSM7_BASIC_CLASS}${GSM7_EXTENSION_CLASS}]`, "gu");
const NOT_GSM7_ANYWHERE = new RegExp(NOT_GSM7.source, "u");

/** The characters GSM-7 cannot carry, replaced by their plain letter when they have one. */
export function gsmFriendly(text: string): string {
  return text.replace(NOT_GSM7, (char) => {
    const plain = char.normalize("NFD").replace(/\p{M}/gu, "");
    return plain !== "" && !NOT_GSM7_ANYWHERE.test(plain) ? plain : char;
  });
}

/** `text` cut to at most `max` characters, ending in "..."; null when too little would be left. */
function cut(text: string, max: number): string | null {
  if (text.length <= max) return text;
  return max <= CUT.length ? null : clip(text, max, CUT);
}

function mapParts<K extends string>(
  parts: TypedParts<K>,
  fn: (value: string) => string | null,
): TypedParts<K> {
  return Object.fromEntries(
    Object.entries(parts).map(([k, v]) => [k, v === null ? null : fn(v as string)]),
  ) as TypedParts<K>;
}

function fits(body: string, maxSegments: number): boolean {
  return smsCost(body).segments <= maxSegments;
}

/** The fullest wording of a text within `maxSegments` (see the module comment for the order). */
export function fitSms<K extends string>(
  wordings: ReadonlyArray<Wording<K>>,
  parts: TypedParts<K>,
  maxSegments: number = CUSTOMER_SMS_SEGMENTS,
): string {
  if (wordings.length === 0) throw new TypeError("fitSms needs at least one wording");
  // A part longer than the whole budget can never fit: cut it first, so measuring a runaway
  // value costs no more than measuring a long one.
  const budget = maxSegments * 153;
  const typed = mapParts(parts, (v) => (v.length > budget ? cut(v, budget) : v));
  const plain = mapParts(typed, gsmFriendly);
  for (const wording of wordings) {
    for (const candidate of [typed, plain]) {
      const body = wording(candidate);
      if (fits(body, maxSegments)) return body;
    }
  }
  // Binary search for the longest cut that fits: more of a part never costs fewer segments.
  const shortest = wordings[wordings.length - 1];
  const longest = Math.max(
    0,
    ...Object.values(plain).map((v) => (v as string | null)?.length ?? 0),
  );
  let low = 0;
  let high = longest;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(shortest(mapParts(plain, (v) => cut(v, mid))), maxSegments)) low = mid;
    else high = mid - 1;
  }
  const fitted = shortest(mapParts(plain, (v) => cut(v, low)));
  // When the fixed words alone are over budget, cutting the customer's words buys nothing:
  // the fullest wording goes (their parts no longer than the budget).
  return fits(fitted, maxSegments) ? fitted : wordings[0](typed);
}
