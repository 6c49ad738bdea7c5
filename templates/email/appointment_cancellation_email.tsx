/** @jsxImportSourceTypes @types/react */
/**
 * The customer's appointment is cancelled: what was cancelled, how to book again, and an
 * invite (METHOD:CANCEL) that removes it from their calendar.
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
import { appointmentDay, appointmentTime, greetingName } from "../wording.ts";
import type { AppointmentEmailProps } from "./appointment_confirmation_email.tsx";
import { AppointmentDetails, ChangeByPhone } from "./appointment_details.tsx";
import { EmailFooter, styles } from "./layout.tsx";

/** `Appointment Cancelled - Fri, Nov 27 at 9:00 AM` */
export function appointmentCancellationSubject(appointment: Appointment): string {
  return `Appointment Cancelled - ${appointmentDay(appointment)} at ${
    appointmentTime(appointment)
  }`;
}

/** The cancellation email body. */
export function AppointmentCancellationEmail(
  { lead, settings, appointment }: AppointmentEmailProps,
) {
  return (
    <Html lang="en">
      <Head />
      <Preview>
        {`Your appointment on ${
          appointmentDay(appointment)
        } (${appointment.time_window}) is cancelled.`}
      </Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>Your appointment is cancelled</Heading>
          <Text style={styles.text}>{`Hi ${greetingName(lead)},`}</Text>
          <Text style={styles.text}>
            {`This appointment is cancelled${
              appointment.cancel_reason ? ` (${appointment.cancel_reason})` : ""
            }. The attached invite removes it from your calendar.`}
          </Text>
          <AppointmentDetails appointment={appointment} lead={lead} />
          <Text style={styles.text}>We would be glad to find you another time.</Text>
          <ChangeByPhone settings={settings} />
          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this email because you had an appointment with ${settings.business_name}.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
