/**
 * Appointment confirmation SMS (plan §3.1 #2), in the plan's words; a moved appointment gets
 * the "moved" wording. GSM-7 only in the fixed text.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, servicePhrase } from "../wording.ts";

/** The footer of the appointment texts, as the plan words it. */
export const APPOINTMENT_SMS_FOOTER = "Reply STOP to opt-out";

/**
 * e.g. `Your windshield replacement is confirmed for Fri, Nov 27 between 9-11 am at 1500
 * Blake St, Denver, CO 80202. Your technician is Ava Chen. We'll text updates as we get
 * closer!` + footer.
 */
export function appointmentConfirmationSms(
  lead: Pick<Lead, "service_type">,
  appointment: Appointment,
  settings: Pick<BusinessSettings, "phone_display">,
): string {
  const when = `${appointmentDay(appointment)} between ${appointment.time_window}`;
  const first = appointment.rescheduled
    ? `Your ${servicePhrase(lead.service_type)} has been moved to ${when}`
    : `Your ${servicePhrase(lead.service_type)} is confirmed for ${when}`;
  return [
    `${first} at ${appointment.service_address}. Your technician is ${appointment.technician}.`,
    appointment.rescheduled
      ? `Questions? Call ${settings.phone_display}`
      : "We'll text updates as we get closer!",
    "",
    APPOINTMENT_SMS_FOOTER,
  ].join("\n");
}
