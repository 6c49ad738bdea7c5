/**
 * The reminder about 24 hours before an appointment: date, window, address, technician, how
 * to reschedule, the opt-out footer. It names the day rather than "tomorrow": quiet hours may
 * move it earlier.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, servicePhrase } from "../wording.ts";
import { APPOINTMENT_SMS_FOOTER, appointmentParts } from "./appointment_confirmation_sms.ts";
import { fitSms } from "./fit.ts";

/**
 * e.g. `Reminder: your windshield replacement with Pink Auto Glass is Fri, Nov 27 between
 * 9-11 am at 1500 Blake St, Denver, CO 80202. Technician: Ava Chen. To reschedule, call
 * (720) 918-7465.` + footer. Within two segments (templates/sms/fit.ts): a long address
 * drops the shop's name and the technician first, then is cut.
 */
export function appointmentReminderSms(
  lead: Pick<Lead, "service_type">,
  appointment: Appointment,
  settings: Pick<BusinessSettings, "business_name" | "phone_display">,
): string {
  const when = `${appointmentDay(appointment)} between ${appointment.time_window}`;
  const service = servicePhrase(lead.service_type);
  const reschedule = `To reschedule, call ${settings.phone_display}.`;
  return fitSms<"address" | "technician">([
    (p) =>
      [
        `Reminder: your ${service} with ${settings.business_name} is ${when} at ${p.address}.`,
        `Technician: ${p.technician}. ${reschedule}`,
        "",
        APPOINTMENT_SMS_FOOTER,
      ].join("\n"),
    (p) =>
      [
        `Reminder: your ${service} is ${when} at ${p.address}.`,
        reschedule,
        "",
        APPOINTMENT_SMS_FOOTER,
      ]
        .join("\n"),
  ], appointmentParts(appointment));
}
