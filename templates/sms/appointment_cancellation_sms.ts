/** The appointment is cancelled: which one, and how to book again. GSM-7 only. */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, servicePhrase } from "../wording.ts";
import { APPOINTMENT_SMS_FOOTER } from "./appointment_confirmation_sms.ts";

/**
 * e.g. `Your windshield replacement appointment on Fri, Nov 27 (9-11 am) is cancelled. To
 * book again, call Pink Auto Glass at (720) 918-7465.` + footer.
 */
export function appointmentCancellationSms(
  lead: Pick<Lead, "service_type">,
  appointment: Appointment,
  settings: Pick<BusinessSettings, "business_name" | "phone_display">,
): string {
  return [
    `Your ${servicePhrase(lead.service_type)} appointment on ${
      appointmentDay(appointment)
    } (${appointment.time_window}) is cancelled. To book again, call ${settings.business_name} at ${settings.phone_display}.`,
    "",
    APPOINTMENT_SMS_FOOTER,
  ].join("\n");
}
