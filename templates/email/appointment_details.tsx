/** @jsxImportSourceTypes @types/react */
/**
 * What every appointment email shows: when, the window, the technician, where, the vehicle
 * and service, and the shop's number for changes.
 */
import { Link } from "@react-email/link";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentLongDay, customerVehicle, serviceTitle } from "../wording.ts";
import { Detail, styles } from "./layout.tsx";

/** The appointment's details panel. */
export function AppointmentDetails(
  { appointment, lead }: { appointment: Appointment; lead: Lead },
) {
  const vehicle = customerVehicle(lead);
  return (
    <Section style={styles.panel}>
      <Detail label="Date">{appointmentLongDay(appointment)}</Detail>
      <Detail label="Arrival window">{appointment.time_window}</Detail>
      <Detail label="Technician">{appointment.technician}</Detail>
      <Detail label="Address">{appointment.service_address}</Detail>
      <Detail label="Service">
        {[serviceTitle(lead.service_type), vehicle].filter(Boolean).join(", ")}
      </Detail>
      <Detail label="Reference">{lead.reference_number}</Detail>
    </Section>
  );
}

/** "Need to change it? Call …": every appointment email ends with it. */
export function ChangeByPhone({ settings }: { settings: BusinessSettings }) {
  return (
    <Text style={styles.text}>
      Need to reschedule or have a question? Call us at{" "}
      <Link href={`tel:${settings.phone_e164}`} style={styles.link}>{settings.phone_display}</Link>
      {" "}
      and mention your reference number.
    </Text>
  );
}
