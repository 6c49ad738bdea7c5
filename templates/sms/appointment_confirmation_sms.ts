/**
 * Appointment confirmation SMS (docs/plan.md §3.1 #2), in the plan's words; a moved appointment gets
 * the "moved" wording. GSM-7 only in the fixed text.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, cleanText, servicePhrase } from "../wording.ts";
import { fitSms } from "./fit.ts";

/** The footer of the appointment texts, as the plan words it. */
export const APPOINTMENT_SMS_FOOTER = "Reply STOP to opt-out";

/**
 * e.g. `Your windshield replacement is confirmed for Fri, Nov 27 between 9-11 am at 1500
 * Blake St, Denver, CO 80202. Your technician is Ava Chen. We'll text updates as we get
 * closer!` + footer. Within two segments (templates/sms/fit.ts): a long address drops the
 * technician sentence first, then is cut.
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
  const questions = `Questions? Call ${settings.phone_display}`;
  return fitSms<"address" | "technician">([
    (p) =>
      [
        `${first} at ${p.address}. Your technician is ${p.technician}.`,
        appointment.rescheduled ? questions : "We'll text updates as we get closer!",
        "",
        APPOINTMENT_SMS_FOOTER,
      ].join("\n"),
    (p) => [`${first} at ${p.address}.`, questions, "", APPOINTMENT_SMS_FOOTER].join("\n"),
  ], appointmentParts(appointment));
}

/** What staff typed into an appointment, as its texts print it. */
export function appointmentParts(appointment: Appointment) {
  return {
    address: cleanText(appointment.service_address) ?? "the address you gave",
    technician: cleanText(appointment.technician) ?? "to be confirmed",
  };
}
