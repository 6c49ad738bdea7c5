/**
 * How many segments Twilio counts for a body (`num_segments`), cheaply enough for a flood:
 * sms-segments-calculator re-measures a segment on every character it adds, which cost the
 * fake Twilio more CPU than everything else in a 10,000-text benchmark. A body of GSM-7's
 * basic characters only (no extension characters such as `{` or `€`, which take two septets)
 * is counted by GSM 03.38's rule: 160 in one segment, 153 per part beyond. Every other body
 * goes to the library. fake_helpers_test.ts checks that both agree.
 */
import { SegmentedMessage } from "sms-segments-calculator";

// GSM 03.38's basic character set, without the escape to its extension table.
const GSM7_BASIC =
  /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà]*$/;

/** Twilio's `num_segments` for `body` (at least 1). */
export function segmentCount(body: string): number {
  if (GSM7_BASIC.test(body)) return body.length <= 160 ? 1 : Math.ceil(body.length / 153);
  return Math.max(new SegmentedMessage(body).segmentsCount, 1);
}
