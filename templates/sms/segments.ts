/**
 * What a text costs: the number of segments the carrier bills and the encoding that decides
 * it (GSM-7: 160 characters, 153 per part; UCS-2, as soon as one character is outside GSM-7:
 * 70, 67 per part). Template tests hold each SMS template to its budget with this.
 *
 * A body of GSM-7's basic characters only (no extension characters such as `{` or `€`, which
 * take two septets) is counted by GSM 03.38's rule directly: sms-segments-calculator
 * re-measures a segment on every character it adds, which made it most of the CPU of a
 * 10,000-text flood. Every other body goes to the library (fake_helpers_test.ts checks both
 * agree).
 */
import { SegmentedMessage } from "sms-segments-calculator";

export interface SmsCost {
  segments: number;
  encoding: "GSM-7" | "UCS-2";
}

// GSM 03.38's basic character set (as a regular expression class's contents), and the
// characters of its extension table, each two septets.
export const GSM7_BASIC_CLASS =
  "@£$¥èéùìòÇ\\nØø\\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,\\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà";
export const GSM7_EXTENSION_CLASS = "\\^{}\\\\\\[~\\]|€\\f";
const GSM7_BASIC = new RegExp(`^[${GSM7_BASIC_CLASS}]*$`);

/** The segments and encoding of an SMS body (an empty body is one segment, as Twilio bills it). */
export function smsCost(body: string): SmsCost {
  if (GSM7_BASIC.test(body)) {
    return { segments: body.length <= 160 ? 1 : Math.ceil(body.length / 153), encoding: "GSM-7" };
  }
  const message = new SegmentedMessage(body);
  return { segments: Math.max(message.segmentsCount, 1), encoding: message.encodingName };
}
