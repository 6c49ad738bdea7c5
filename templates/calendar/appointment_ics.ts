/**
 * The calendar invite that rides along with an appointment email: one VEVENT per
 * appointment, written by ical-generator. Its UID stays the same for the appointment's whole
 * life and its SEQUENCE goes up with each change, so a calendar updates (or, for CANCEL,
 * removes) the entry it already has instead of adding a second one. Times are written as
 * wall-clock times in the shop's zone (`DTSTART;TZID=America/Denver:…`) with that zone's
 * VTIMEZONE, so the customer's calendar shows 9:00 am whatever zone their phone is in.
 */
import { ICalCalendar, ICalCalendarMethod, ICalEventStatus } from "ical-generator";
import { tzlib_get_ical_block, tzlib_get_timezones } from "timezones-ical-library";
import { TZDate } from "@date-fns/tz";

export interface AppointmentInvite {
  /** Stable per appointment, so a reschedule updates the same calendar entry. */
  uid: string;
  /** Goes up with every change (the appointment's version). */
  sequence: number;
  /** REQUEST for a new or changed appointment, CANCEL to remove it from the calendar. */
  method: "REQUEST" | "CANCEL";
  start: Date;
  end: Date;
  /** IANA zone the times are shown in, e.g. "America/Denver". */
  timeZone: string;
  summary: string;
  description: string;
  location: string | null;
  organizer: { name: string; email: string };
  attendee: { name: string; email: string } | null;
}

/** Options for {@linkcode appointmentIcs}. */
export interface AppointmentIcsOptions {
  /**
   * DTSTAMP: when this version of the invite was made. Pass the appointment's last change
   * (its `updated_at`): an email sent again under the same Idempotency-Key must carry the
   * same bytes, or Resend refuses it as a different request. Default: now.
   */
  stamp?: Date;
}

/** An invite that cannot be written as asked (unknown zone, end before start…). */
export class AppointmentIcsError extends Error {
  override name = "AppointmentIcsError";
}

/** The zone's VTIMEZONE and the TZID it defines (an alias such as US/Mountain is resolved). */
function vtimezone(uid: string, zone: string): { tzid: string; block: string } {
  // tzlib_get_ical_block logs and answers "" for a zone it does not know: ask first.
  const found = (tzlib_get_timezones() as string[]).includes(zone)
    ? tzlib_get_ical_block(zone)
    : "";
  if (!Array.isArray(found) || !found[0]?.startsWith("BEGIN:VTIMEZONE")) {
    throw new AppointmentIcsError(
      `Cannot write the invite for appointment "${uid}": "${zone}" is not a known IANA time zone`,
    );
  }
  return { tzid: found[1].replace(/^TZID=/, ""), block: found[0] };
}

function check(invite: AppointmentInvite): void {
  const fail = (why: string): never => {
    throw new AppointmentIcsError(
      `Cannot write the invite for appointment "${invite.uid}": ${why}`,
    );
  };
  if (invite.uid.trim() === "") fail("the UID is empty");
  if (!Number.isInteger(invite.sequence) || invite.sequence < 0) {
    fail(`sequence ${invite.sequence} is not a whole number ≥ 0`);
  }
  if (Number.isNaN(invite.start.getTime()) || Number.isNaN(invite.end.getTime())) {
    fail("its start or end is not a valid date");
  }
  if (invite.end.getTime() <= invite.start.getTime()) {
    fail(
      `its end ${invite.end.toISOString()} is not after its start ${invite.start.toISOString()}`,
    );
  }
}

/** The invite as an RFC 5545 calendar (text/calendar). */
export function appointmentIcs(
  invite: AppointmentInvite,
  options: AppointmentIcsOptions = {},
): string {
  check(invite);
  const { tzid, block } = vtimezone(invite.uid, invite.timeZone);
  const calendar = new ICalCalendar({
    prodId: { company: "leadwire", product: "appointments", language: "EN" },
    method: ICalCalendarMethod[invite.method],
  });
  // The zone goes on the event, not the calendar: ical-generator writes DTSTAMP in the
  // calendar's zone (floating, without the Z that RFC 5545 requires) and leaves DTSTART
  // without a TZID when only the calendar has one.
  calendar.timezone({ name: null, generator: (zone) => zone === tzid ? block : null });
  calendar.createEvent({
    id: invite.uid,
    sequence: invite.sequence,
    stamp: options.stamp ?? new Date(),
    // ical-generator writes a TZDate's wall clock in the event's zone; a plain Date would be
    // written in the process's own zone.
    start: new TZDate(invite.start.getTime(), tzid),
    end: new TZDate(invite.end.getTime(), tzid),
    timezone: tzid,
    summary: invite.summary,
    description: invite.description,
    location: invite.location,
    organizer: invite.organizer,
    attendees: invite.attendee ? [invite.attendee] : [],
    status: invite.method === "CANCEL" ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  // ical-generator ends the last line without CRLF; RFC 5545 ends every content line with one.
  return `${calendar.toString()}\r\n`;
}
