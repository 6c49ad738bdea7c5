/**
 * Initial quote confirmation SMS (plan §3.1 #1), sent right after a lead is saved to a
 * customer who gave SMS consent. Only GSM-7 characters in the fixed wording (a straight
 * apostrophe, no dashes or emoji), so a typical lead costs two segments, not four.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import { greetingName, servicePhrase, vehicleDescription } from "../wording.ts";

/** The opt-out line every marketing-capable SMS ends with. */
export const SMS_OPT_OUT_FOOTER = "Text STOP to opt-out";

/** The plan's promise, made while the shop is open (see shared/leads/business_hours.ts). */
export const CALL_WITHIN_15_MINUTES =
  "We'll call you within 15 minutes to confirm your appointment.";

/**
 * The message body, e.g.
 * `Hi Jane! We received your windshield replacement request for your 2019 Honda Civic
 * (Ref: PAG-261125-0042).` + when we will call (`callback`) + business phone + `Text STOP to opt-out`.
 * Without a vehicle the "for your …" part is left out.
 */
export function initialConfirmationSms(
  lead: Lead,
  settings: Pick<BusinessSettings, "phone_display">,
  callback: string = CALL_WITHIN_15_MINUTES,
): string {
  const vehicle = vehicleDescription(lead);
  const forVehicle = vehicle ? ` for your ${vehicle}` : "";
  return [
    `Hi ${greetingName(lead)}! We received your ${
      servicePhrase(lead.service_type)
    } request${forVehicle} (Ref: ${lead.reference_number}).`,
    callback,
    `Questions? Call ${settings.phone_display}`,
    "",
    SMS_OPT_OUT_FOOTER,
  ].join("\n");
}
