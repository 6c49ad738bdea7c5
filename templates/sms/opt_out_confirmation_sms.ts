/**
 * The one reply to an opt-out (CTIA; FCC 47 CFR 64.1200(a)(12)): the business's name and that
 * no more texts will come, nothing else. GSM-7 only, one segment for a typical shop.
 */
import type { BusinessSettings } from "../../shared/leads/types.ts";

/**
 * e.g. `Pink Auto Glass: You're unsubscribed and will get no more texts from us. Reply START to
 * resubscribe.`
 */
export function optOutConfirmationSms(settings: Pick<BusinessSettings, "business_name">): string {
  return `${settings.business_name}: You're unsubscribed and will get no more texts from us. ` +
    "Reply START to resubscribe.";
}
