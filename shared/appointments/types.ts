/**
 * An appointment as its messages carry it: the snapshot of one version, written by
 * schedule_appointment / cancel_appointment (`public.appointment_snapshot`) into the activity
 * and each planned message's payload, so a message always describes the version it was
 * planned for.
 */

/** `notifications_outbox.payload.appointment` and the activity's metadata. */
export interface Appointment {
  appointment_id: string;
  version: number;
  status: "scheduled" | "cancelled";
  starts_at: Date;
  ends_at: Date;
  /** As staff typed it, e.g. "9-11 am". */
  time_window: string;
  /** The shop's zone: how the times are shown. */
  time_zone: string;
  technician: string;
  service_address: string;
  notes: string | null;
  cancel_reason: string | null;
  /** A scheduled appointment that replaced an earlier scheduled one ("updated" wording). */
  rescheduled: boolean;
  /** When this version was made: its invite's DTSTAMP, so a repeated send is the same email. */
  changed_at: Date;
}

/** The snapshot as JSON holds it (times as ISO strings). */
export type AppointmentJson = Omit<Appointment, "starts_at" | "ends_at" | "changed_at"> & {
  starts_at: string;
  ends_at: string;
  changed_at: string;
};

/** Reads a snapshot from JSON (an outbox payload, an activity's metadata). */
export function appointmentFromJson(json: AppointmentJson): Appointment {
  return {
    ...json,
    starts_at: new Date(json.starts_at),
    ends_at: new Date(json.ends_at),
    changed_at: new Date(json.changed_at),
  };
}

/** The snapshot as it goes into JSON. */
export function appointmentToJson(appointment: Appointment): AppointmentJson {
  return {
    ...appointment,
    starts_at: appointment.starts_at.toISOString(),
    ends_at: appointment.ends_at.toISOString(),
    changed_at: appointment.changed_at.toISOString(),
  };
}
