/** @jsxImportSourceTypes @types/react */
/**
 * Customer confirmation email (docs/plan.md §2.1 #1): sent the moment a lead is saved, so the
 * customer knows the request arrived, what we understood, and that a call is coming.
 */
import { Body } from "@react-email/body";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Link } from "@react-email/link";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import {
  customerVehicle,
  formatPreferredDate,
  greetingName,
  servicePhrase,
  serviceTitle,
} from "../wording.ts";
import { CALL_WITHIN_15_MINUTES } from "../sms/initial_confirmation_sms.ts";
import { EmailFooter, styles } from "./layout.tsx";

/** Props of {@linkcode CustomerConfirmationEmail}. */
export interface CustomerConfirmationProps {
  lead: Lead;
  settings: BusinessSettings;
  /** When we will call, as the shop's hours allow. Default: {@linkcode CALL_WITHIN_15_MINUTES}. */
  callback?: string;
}

/** `We received your request - Ref #PAG-261125-0042` */
export function customerConfirmationSubject(lead: Pick<Lead, "reference_number">): string {
  return `We received your request - Ref #${lead.reference_number}`;
}

/** The customer confirmation email body. */
export function CustomerConfirmationEmail(
  { lead, settings, callback = CALL_WITHIN_15_MINUTES }: CustomerConfirmationProps,
) {
  const vehicle = customerVehicle(lead);
  const request = vehicle
    ? `We received your request for ${servicePhrase(lead.service_type)} for your ${vehicle}.`
    : `We received your request for ${servicePhrase(lead.service_type)}.`;
  const phoneHref = `tel:${settings.phone_e164}`;

  return (
    <Html lang="en">
      <Head />
      <Preview>{`${request} Reference ${lead.reference_number}.`}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>
            {`Thanks for choosing ${settings.business_name}!`}
          </Heading>
          <Text style={styles.text}>{`Hi ${greetingName(lead)},`}</Text>
          <Text style={styles.text}>{request}</Text>

          <Section style={styles.panel}>
            <Text style={styles.detail}>
              <strong>Reference number:</strong> {lead.reference_number}
            </Text>
            <Text style={styles.detail}>
              <strong>Service:</strong> {serviceTitle(lead.service_type)}
            </Text>
            {vehicle && (
              <Text style={styles.detail}>
                <strong>Vehicle:</strong> {vehicle}
              </Text>
            )}
            {lead.preferred_date && (
              <Text style={styles.detail}>
                <strong>Preferred date:</strong> {formatPreferredDate(lead.preferred_date)}
              </Text>
            )}
            {lead.mobile_service && (
              <Text style={styles.detail}>
                <strong>Mobile service:</strong> Yes, we come to you
              </Text>
            )}
          </Section>

          <Heading as="h2" style={styles.subheading}>Next steps</Heading>
          <Text style={styles.text}>
            {callback}
          </Text>
          <Text style={styles.text}>
            Questions? Call us at{" "}
            <Link href={phoneHref} style={styles.link}>{settings.phone_display}</Link>{" "}
            and mention your reference number.
          </Text>

          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this email because you requested a quote or booking at ${settings.website_url}. It confirms your request and is not a marketing message.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
