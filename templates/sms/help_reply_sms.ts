/**
 * The reply to HELP or INFO (AYUDA or INFORMACION in Spanish, answered in Spanish), with what
 * carriers require (CTIA): the business's name, what the texts are about, a phone number and
 * website, how to stop, message frequency and "Msg & data rates may apply". GSM-7 only: one
 * segment for a typical shop in English, two in Spanish (its wording avoids á, í, ó and ú,
 * which GSM-7 lacks: one of them would make it UCS-2, four segments).
 */
import type { BusinessSettings } from "../../shared/leads/types.ts";
import type { SmsLanguage } from "../../shared/compliance/sms_keywords.ts";

/** "https://pinkautoglass.com/" → "pinkautoglass.com": what fits a text. */
function shortWebsite(url: string): string {
  return url.replace(/^https?:\/\//i, "").replace(/^www\./i, "").replace(/\/+$/, "");
}

/**
 * e.g. `Pink Auto Glass: quote & appointment texts. Help: (720) 918-7465, pinkautoglass.com.
 * Msg freq varies. Msg & data rates may apply. Reply STOP to opt out.`, or in Spanish
 * `Pink Auto Glass: mensajes sobre cotizaciones y citas. Ayuda: (720) 918-7465,
 * pinkautoglass.com. La frecuencia de mensajes puede variar. Pueden aplicarse tarifas de
 * mensajes y datos. Responda STOP (o PARAR) para cancelar.`
 */
export function helpReplySms(
  settings: Pick<BusinessSettings, "business_name" | "phone_display" | "website_url">,
  language: SmsLanguage = "en",
): string {
  const contact = `${settings.phone_display}, ${shortWebsite(settings.website_url)}.`;
  return language === "es"
    ? `${settings.business_name}: mensajes sobre cotizaciones y citas. Ayuda: ${contact} ` +
      "La frecuencia de mensajes puede variar. Pueden aplicarse tarifas de mensajes y datos. " +
      "Responda STOP (o PARAR) para cancelar."
    : `${settings.business_name}: quote & appointment texts. Help: ${contact} ` +
      "Msg freq varies. Msg & data rates may apply. Reply STOP to opt out.";
}
