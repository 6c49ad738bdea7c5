/**
 * The reply to START, YES or UNSTOP: texts are back on, with what carriers require of an
 * opt-in confirmation (who, how often, rates, help and stop). GSM-7 only, one segment.
 */
import type { BusinessSettings } from "../../shared/leads/types.ts";

/**
 * e.g. `Pink Auto Glass: You're subscribed to quote & appointment texts. Msg freq varies.
 * Msg & data rates may apply. Reply HELP for help, STOP to opt out.`
 */
export function optInConfirmationSms(settings: Pick<BusinessSettings, "business_name">): string {
  return `${settings.business_name}: You're subscribed to quote & appointment texts. ` +
    "Msg freq varies. Msg & data rates may apply. Reply HELP for help, STOP to opt out.";
}
