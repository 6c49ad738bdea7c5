/**
 * The one reply to an opt-out (CTIA; FCC 47 CFR 64.1200(a)(12)): the business's name and that
 * no more texts will come, nothing else, in the language of the opt-out. GSM-7 only (the
 * Spanish wording needs no accent), one segment for a typical shop.
 */
import type { BusinessSettings } from "../../shared/leads/types.ts";
import type { SmsLanguage } from "../../shared/compliance/sms_keywords.ts";

/**
 * e.g. `Pink Auto Glass: You're unsubscribed and will get no more texts from us. Reply START to
 * resubscribe.`, or in Spanish `Pink Auto Glass: Se dio de baja y ya no le enviaremos mensajes.
 * Responda START para volver a suscribirse.`
 */
export function optOutConfirmationSms(
  settings: Pick<BusinessSettings, "business_name">,
  language: SmsLanguage = "en",
): string {
  return language === "es"
    ? `${settings.business_name}: Se dio de baja y ya no le enviaremos mensajes. ` +
      "Responda START para volver a suscribirse."
    : `${settings.business_name}: You're unsubscribed and will get no more texts from us. ` +
      "Reply START to resubscribe.";
}
