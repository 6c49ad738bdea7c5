/**
 * The reply to HELP or INFO, with what carriers require (CTIA): the business's name, what the
 * texts are about, a phone number and website, how to stop, message frequency and "Msg & data
 * rates may apply". GSM-7 only, one segment for a typical shop.
 */
import type { BusinessSettings } from "../../shared/leads/types.ts";

/** "https://pinkautoglass.com/" → "pinkautoglass.com": what fits a text. */
function shortWebsite(url: string): string {
  return url.replace(/^https?:\/\//i, "").replace(/^www\./i, "").replace(/\/+$/, "");
}

/**
 * e.g. `Pink Auto Glass: quote & appointment texts. Help: (720) 918-7465, pinkautoglass.com.
 * Msg freq varies. Msg & data rates may apply. Reply STOP to opt out.`
 */
export function helpReplySms(
  settings: Pick<BusinessSettings, "business_name" | "phone_display" | "website_url">,
): string {
  return `${settings.business_name}: quote & appointment texts. ` +
    `Help: ${settings.phone_display}, ${shortWebsite(settings.website_url)}. ` +
    "Msg freq varies. Msg & data rates may apply. Reply STOP to opt out.";
}
