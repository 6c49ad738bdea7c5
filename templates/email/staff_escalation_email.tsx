/** @jsxImportSourceTypes @types/react */
/**
 * Speed-to-lead escalation: a lead has waited past the escalation time with no staff action.
 * To the admin inbox, with the on-call person copied: who the customer is, how long they have
 * waited, who had the lead, and the links that take it.
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
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import {
  clip,
  formatInstant,
  fullName,
  serviceTitle,
  vehicleDescription,
  waitedFor,
} from "../wording.ts";
import { Detail, EmailFooter, StaffActions, styles } from "./layout.tsx";

/** Props of {@linkcode StaffEscalationEmail}. */
export interface StaffEscalationProps {
  lead: Lead;
  settings: BusinessSettings;
  /** How long the lead has waited when the email is sent. */
  waitedMs: number;
  links?: RenderContext["links"];
}

/** `⏰ No call yet: Jane Doe (Ref PAG-261125-0042) has waited 16 min`. */
export function staffEscalationSubject(
  lead: Pick<Lead, "first_name" | "last_name" | "reference_number">,
  waitedMs: number,
): string {
  return `⏰ No call yet: ${clip(fullName(lead), 60)} (Ref ${lead.reference_number}) has waited ${
    waitedFor(waitedMs)
  }`;
}

/** The escalation email body. */
export function StaffEscalationEmail({ lead, settings, waitedMs, links }: StaffEscalationProps) {
  const name = fullName(lead);
  const vehicle = vehicleDescription(lead);
  return (
    <Html lang="en">
      <Head />
      <Preview>{`${name} has waited ${waitedFor(waitedMs)} for a call`}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>
            {`${name} has waited ${waitedFor(waitedMs)} with no call`}
          </Heading>
          <Text style={styles.text}>
            {`Nobody has called, claimed or updated this lead since it came in. It was assigned to ${
              lead.assigned_to_name ?? "the admin inbox (nobody was on shift)"
            }.`}
          </Text>
          <StaffActions lead={lead} links={links} />
          <Section>
            <Detail label="Reference">{lead.reference_number}</Detail>
            <Detail label="Phone">
              {lead.phone_e164 ? formatPhoneForDisplay(lead.phone_e164) : "Not given"}
            </Detail>
            <Detail label="Email">{lead.email ?? "Not given"}</Detail>
            <Detail label="Service">{serviceTitle(lead.service_type)}</Detail>
            <Detail label="Vehicle">{vehicle ?? "Not given"}</Detail>
            <Detail label="Priority">{lead.priority === "high" ? "High" : "Normal"}</Detail>
            <Detail label="Received">{formatInstant(lead.created_at, settings.time_zone)}</Detail>
          </Section>
          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this because a lead of ${settings.business_name} is waiting for a call.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
