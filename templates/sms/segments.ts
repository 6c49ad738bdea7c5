/**
 * What a text costs: the number of segments the carrier bills and the encoding that decides
 * it (GSM-7: 160 characters, 153 per part; UCS-2, as soon as one character is outside GSM-7:
 * 70, 67 per part). Template tests hold each SMS template to its budget with this.
 */
import { SegmentedMessage } from "sms-segments-calculator";

export interface SmsCost {
  segments: number;
  encoding: "GSM-7" | "UCS-2";
}

/** The segments and encoding of an SMS body. */
export function smsCost(body: string): SmsCost {
  const message = new SegmentedMessage(body);
  return { segments: message.segmentsCount, encoding: message.encodingName };
}
