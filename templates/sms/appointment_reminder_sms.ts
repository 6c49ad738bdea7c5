/**
 * The reminder about 24 hours before an appointment: date, window, address, technician, how
 * to reschedule, the opt-out footer. It names the day rather than "tomorrow": quiet hours may
 * move it earlier.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, servicePhrase } from "../wording.ts";
import { APPOINTMENT_SMS_FOOTER } from "./appointment_confirmation_sms.ts";

/**
 * e.g. `Reminder: your windshield replacement with Pink Auto Glass is Fri, Nov 27 between
 * 9-11 am at 1500 Blake St, Denver, CO 80202. Technician: Ava Chen. To reschedule, call
 * (720) 918-7465.` + footer.
 */
export function appointmentReminderSms(
  lead: Pick<Lead, "service_type">,
  appointment: Appointment,
  settings: Pick<BusinessSettings, "business_name" | "phone_display">,
): string {
  return [
    `Reminder: your ${servicePhrase(lead.service_type)} with ${settings.business_name} is ${
      appointmentDay(appointment)
    } between ${appointment.time_window} at ${appointment.service_address}.`,
    `Technician: ${appointment.technician}. To reschedule, call ${settings.phone_display}.`,
    "",
    APPOINTMENT_SMS_FOOTER,
  ].join("\n");
}
