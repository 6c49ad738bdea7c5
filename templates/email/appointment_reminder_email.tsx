/** @jsxImportSourceTypes @types/react */
/**
 * The appointment reminder by email, about 24 hours ahead, for a customer who cannot be
 * texted (no SMS consent, an opted-out or unreachable number).
 */
import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Preview } from "@react-email/preview";
import { Text } from "@react-email/text";
import type { Appointment } from "../../shared/appointments/types.ts";
import { appointmentDay, appointmentTime, greetingName, servicePhrase } from "../wording.ts";
import type { AppointmentEmailProps } from "./appointment_confirmation_email.tsx";
import { AppointmentDetails, ChangeByPhone } from "./appointment_details.tsx";
import { EmailFooter, styles } from "./layout.tsx";

/** `Reminder: your appointment on Fri, Nov 27 at 9:00 AM` */
export function appointmentReminderSubject(appointment: Appointment): string {
  return `Reminder: your appointment on ${appointmentDay(appointment)} at ${
    appointmentTime(appointment)
  }`;
}

/** The reminder email body. */
export function AppointmentReminderEmail({ lead, settings, appointment }: AppointmentEmailProps) {
  const line = `A reminder of your ${servicePhrase(lead.service_type)} appointment on ${
    appointmentDay(appointment)
  }, arrival between ${appointment.time_window}.`;
  return (
    <Html lang="en">
      <Head />
      <Preview>{line}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>See you soon</Heading>
          <Text style={styles.text}>{`Hi ${greetingName(lead)},`}</Text>
          <Text style={styles.text}>{line}</Text>
          <AppointmentDetails appointment={appointment} lead={lead} />
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
