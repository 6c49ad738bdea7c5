/** @jsxImportSourceTypes @types/react */
/**
 * The admin's alert by email: a condition of the notification system was raised, still holds
 * an hour later, or has cleared. The numbers, since when, the overall health, and what to do.
 */
import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import type { BusinessSettings } from "../../shared/leads/types.ts";
import { alertAdvice, alertHeadline, type AlertNotice } from "../alert_notice.ts";
import { formatInstant } from "../wording.ts";
import { Detail, EmailFooter, styles } from "./layout.tsx";

export interface AdminAlertProps {
  alert: AlertNotice;
  settings: BusinessSettings;
}

/** The subject: the headline itself. */
export function adminAlertSubject(alert: AlertNotice): string {
  return alertHeadline(alert);
}

export function AdminAlertEmail({ alert, settings }: AdminAlertProps) {
  const since = formatInstant(new Date(alert.since), settings.time_zone);
  return (
    <Html lang="en">
      <Head />
      <Preview>{alertHeadline(alert)}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>
            {alert.state === "cleared" ? "Cleared" : "The notification system needs attention"}
          </Heading>
          <Text style={styles.text}>{alert.summary}</Text>
          <Section>
            <Detail label="Condition">{alert.condition}</Detail>
            <Detail label="Since">{since}</Detail>
            <Detail label="Health now">{alert.health}</Detail>
          </Section>
          <Text style={styles.text}>{alertAdvice(alert)}</Text>
          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason="You are receiving this because you are the admin of this shop's lead notifications. You are told once an hour while a condition lasts, and once when it clears."
          />
        </Container>
      </Body>
    </Html>
  );
}
