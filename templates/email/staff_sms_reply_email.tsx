/** @jsxImportSourceTypes @types/react */
/**
 * A customer texted the shop's number: the text (and its photos) goes to the staff inbox at
 * once, with the lead it belongs to, so a person answers. A text from a number no lead gave
 * still comes, marked as such.
 */
import { Body } from "@react-email/body";
import { Button } from "@react-email/button";
import { Container } from "@react-email/container";
import { Head } from "@react-email/head";
import { Heading } from "@react-email/heading";
import { Hr } from "@react-email/hr";
import { Html } from "@react-email/html";
import { Link } from "@react-email/link";
import { Preview } from "@react-email/preview";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import type { BusinessSettings, InboundSms, Lead } from "../../shared/leads/types.ts";
import {
  cleanText,
  clip,
  formatInstant,
  fullName,
  serviceTitle,
  vehicleDescription,
} from "../wording.ts";
import { Detail, EmailFooter, isWebUrl, Lines, styles } from "./layout.tsx";

/** Props of {@linkcode StaffSmsReplyEmail}. */
export interface StaffSmsReplyProps {
  inbound: InboundSms;
  lead: Lead | null;
  settings: BusinessSettings;
}

/** Who texted: the lead's name, or the number when no lead gave it. */
function sender(inbound: InboundSms, lead: Lead | null): string {
  return lead ? fullName(lead) : formatPhoneForDisplay(inbound.from_phone);
}

/**
 * `💬 Text from Jane Doe (Ref PAG-261125-0042): Can you come at 9?`; a number with no lead:
 * `💬 Text from (720) 555-0199 (no lead): …`. The text is cut to keep the subject short.
 */
export function staffSmsReplySubject(inbound: InboundSms, lead: Lead | null): string {
  const about = lead ? `Ref ${lead.reference_number}` : "no lead";
  const text = cleanText(inbound.body) ?? (inbound.media.length > 0 ? "(photo)" : "(empty)");
  return `💬 Text from ${sender(inbound, lead)} (${about}): ${clip(text, 60)}`;
}

/** The staff email for a customer's text. */
export function StaffSmsReplyEmail({ inbound, lead, settings }: StaffSmsReplyProps) {
  const who = sender(inbound, lead);
  const media = inbound.media.filter((m) => isWebUrl(m.url));
  const vehicle = lead ? vehicleDescription(lead) : null;
  return (
    <Html lang="en">
      <Head />
      <Preview>{`${who}: ${cleanText(inbound.body) ?? "sent a photo"}`}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>{`${who} texted the shop`}</Heading>
          <Section style={styles.panel}>
            <Text style={styles.text}>
              <Lines text={inbound.body} />
            </Text>
          </Section>
          {media.length > 0 && (
            <Section>
              {media.map((m, i) => (
                <Text key={m.url} style={styles.detail}>
                  <Link href={m.url} style={styles.link}>
                    {`Attachment ${i + 1}${m.content_type ? ` (${m.content_type})` : ""}`}
                  </Link>
                </Text>
              ))}
            </Section>
          )}
          <Section style={{ margin: "0 0 16px" }}>
            <Button href={`tel:${inbound.from_phone}`} style={styles.button}>
              {`Call ${who}`}
            </Button>
          </Section>
          <Section>
            <Detail label="From">
              <Link href={`tel:${inbound.from_phone}`} style={styles.link}>
                {formatPhoneForDisplay(inbound.from_phone)}
              </Link>
            </Detail>
            <Detail label="Reference">
              {lead ? lead.reference_number : "No lead has this number"}
            </Detail>
            {lead && (
              <Detail label="Request">
                {[serviceTitle(lead.service_type), vehicle].filter(Boolean).join(", ")}
              </Detail>
            )}
            <Detail label="Received">
              {formatInstant(inbound.received_at, settings.time_zone)}
            </Detail>
          </Section>
          <Text style={styles.footer}>
            Replying to this email does not text the customer: call or text them from the shop's
            phone.
          </Text>
          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this because a customer texted ${settings.business_name}.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
