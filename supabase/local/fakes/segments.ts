/** How many segments Twilio counts for a body (`num_segments`): the templates' own measure. */
import { smsCost } from "../../../templates/sms/segments.ts";

/** Twilio's `num_segments` for `body` (at least 1). */
export function segmentCount(body: string): number {
  return smsCost(body).segments;
}
