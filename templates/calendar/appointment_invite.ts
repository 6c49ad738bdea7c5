/**
 * The calendar invite an appointment email carries: one UID per appointment (so a moved
 * appointment replaces its calendar entry and a cancelled one removes it), SEQUENCE = the
 * appointment's version, times in the shop's zone.
 */
import { Buffer } from "node:buffer";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentIcs } from "./appointment_ics.ts";
import { fullName, servicePhrase } from "../wording.ts";

/** An email attachment (base64 content), as the email channel sends it. */
export interface InviteAttachment {
  filename: string;
  content: string;
  contentType: string;
}

/** `<appointment id>@pinkautoglass.com`: stable for the appointment's whole life. */
export function appointmentUid(
  appointment: Pick<Appointment, "appointment_id">,
  settings: Pick<BusinessSettings, "website_url">,
): string {
  let host = "leadwire.local";
  try {
    host = new URL(settings.website_url).host || host;
  } catch {
    // A shop without a valid website still gets a stable UID.
  }
  return `${appointment.appointment_id}@${host}`;
}

/** The `.ics` attachment: METHOD:REQUEST for a booked or moved appointment, CANCEL otherwise. */
export function appointmentInvite(
  lead: Lead,
  appointment: Appointment,
  settings: BusinessSettings,
): InviteAttachment {
  const method = appointment.status === "cancelled" ? "CANCEL" : "REQUEST";
  const service = servicePhrase(lead.service_type);
  const ics = appointmentIcs({
    uid: appointmentUid(appointment, settings),
    sequence: appointment.version,
    method,
    start: appointment.starts_at,
    end: appointment.ends_at,
    timeZone: appointment.time_zone,
    summary: `${service[0].toUpperCase()}${service.slice(1)} - ${settings.business_name}`,
    description: [
      `Arrival window: ${appointment.time_window}`,
      `Technician: ${appointment.technician}`,
      `Reference: ${lead.reference_number}`,
      `Questions or changes: ${settings.phone_display}`,
    ].join("\n"),
    location: appointment.service_address,
    organizer: { name: settings.business_name, email: settings.reply_to_email },
    attendee: lead.email ? { name: fullName(lead), email: lead.email } : null,
  }, { stamp: appointment.changed_at });
  return {
    filename: method === "CANCEL" ? "appointment-cancelled.ics" : "appointment.ics",
    content: Buffer.from(ics, "utf8").toString("base64"),
    contentType: `text/calendar; charset=utf-8; method=${method}`,
  };
}
