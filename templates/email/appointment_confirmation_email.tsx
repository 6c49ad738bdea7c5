/** @jsxImportSourceTypes @types/react */
/**
 * Appointment confirmation email (docs/plan.md §2.1 #3), sent after staff confirm the appointment on
 * the phone: the details, the technician, the address, how to prepare, and a calendar invite.
 * A moved appointment gets the same email with "updated" wording; its invite replaces the
 * calendar entry (same UID, higher SEQUENCE).
 */
import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Preview } from "@react-email/preview";
import { Text } from "@react-email/text";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, appointmentTime, clip, greetingName, servicePhrase } from "../wording.ts";
import { AppointmentDetails, ChangeByPhone } from "./appointment_details.tsx";
import { EmailFooter, styles } from "./layout.tsx";

/** Props of {@linkcode AppointmentConfirmationEmail}. */
export interface AppointmentEmailProps {
  lead: Lead;
  settings: BusinessSettings;
  appointment: Appointment;
}

/** `Appointment Confirmed - Fri, Nov 27 at 9:00 AM`; `Appointment Updated - …` when moved. */
export function appointmentConfirmationSubject(appointment: Appointment): string {
  const what = appointment.rescheduled ? "Updated" : "Confirmed";
  return `Appointment ${what} - ${appointmentDay(appointment)} at ${appointmentTime(appointment)}`;
}

/** What to do before the technician comes. */
const PREPARATION = [
  "Park where the technician can walk all the way around the vehicle.",
  "Clear the dashboard and remove any toll tags or dash cams from the windshield.",
  "Mobile service needs a dry spot: a garage or carport if rain or snow is forecast.",
  "Plan on about 1 to 2 hours; after a replacement, wait 1 hour before driving.",
];

/** The confirmation (or update) email body. */
export function AppointmentConfirmationEmail(
  { lead, settings, appointment }: AppointmentEmailProps,
) {
  const intro = appointment.rescheduled
    ? `Your ${
      servicePhrase(lead.service_type)
    } appointment has been moved. Here are the new details.`
    : `Your ${servicePhrase(lead.service_type)} appointment is confirmed.`;
  return (
    <Html lang="en">
      <Head />
      <Preview>{`${intro} ${appointmentDay(appointment)}, ${appointment.time_window}.`}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>
            {appointment.rescheduled ? "Your appointment was updated" : "You're booked!"}
          </Heading>
          <Text style={styles.text}>{`Hi ${greetingName(lead)},`}</Text>
          <Text style={styles.text}>{intro}</Text>
          <AppointmentDetails appointment={appointment} lead={lead} />
          <Heading as="h2" style={styles.subheading}>Before we arrive</Heading>
          {PREPARATION.map((line) => <Text key={line} style={styles.detail}>{`• ${line}`}</Text>)}
          {appointment.notes && (
            <Text style={styles.text}>{`Note: ${clip(appointment.notes, 2000)}`}</Text>
          )}
          <Text style={styles.text}>
            The attached invite adds the appointment to your calendar
            {appointment.rescheduled ? " (it replaces the earlier one)." : "."}
          </Text>
          <ChangeByPhone settings={settings} />
          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this email because you booked an appointment with ${settings.business_name}.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
