/** @jsxImportSourceTypes @types/react */
/**
 * The staff digest: the new-lead alerts a burst held back from one staff member (more than
 * `staff_alerts_per_window` in `staff_alert_window_minutes`), in one email. Each lead keeps
 * what staff act on from its alert: its priority, the call button and the "I'm on it" / "I
 * called them" links; high-priority leads first, then as they came in.
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
import type { BusinessSettings } from "../../shared/leads/types.ts";
import type { DigestEntry } from "../../shared/messages/render.ts";
import { clip, formatInstant, fullName, serviceTitle, vehicleDescription } from "../wording.ts";
import { Detail, EmailFooter, StaffActions, styles } from "./layout.tsx";

/** Props of {@linkcode StaffDigestEmail}. */
export interface StaffDigestProps {
  leads: readonly DigestEntry[];
  settings: BusinessSettings;
  /** The window the leads came in (`staff_alert_window_minutes` when they were gathered). */
  windowMinutes: number;
}

function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function highCount(leads: readonly DigestEntry[]): number {
  return leads.filter((l) => l.priority === "high").length;
}

/** `🚨 7 new leads in the last 10 minutes (1 high priority)`; no 🚨 with none high. */
export function staffDigestSubject(leads: readonly DigestEntry[], windowMinutes: number): string {
  const high = highCount(leads);
  return `${high > 0 ? "🚨 " : ""}${counted(leads.length, "new lead", "new leads")} in the last ${
    counted(windowMinutes, "minute", "minutes")
  }${high > 0 ? ` (${high} high priority)` : ""}`;
}

/** High priority first, then in the order they came in (the digest's own order). */
function inCallOrder(leads: readonly DigestEntry[]): DigestEntry[] {
  return leads.toSorted((a, b) =>
    (a.priority === "high" ? 0 : 1) - (b.priority === "high" ? 0 : 1)
  );
}

const priorityPanel = {
  high: { backgroundColor: "#c92a2a", color: "#ffffff" },
  normal: { backgroundColor: "#e9ecef", color: "#222222" },
};

function DigestLead({ entry, settings }: { entry: DigestEntry; settings: BusinessSettings }) {
  const { lead } = entry;
  if (!lead) {
    return (
      <Section>
        <Text style={styles.detail}>
          {`Ref ${entry.reference}: no longer on file (deleted on request).`}
        </Text>
        <Hr style={styles.rule} />
      </Section>
    );
  }
  const panel = priorityPanel[entry.priority];
  return (
    <Section>
      <Section style={{ ...styles.panel, ...panel }}>
        <Text style={{ ...styles.detail, color: panel.color }}>
          <strong>
            {`${entry.priority === "high" ? "HIGH PRIORITY" : "Normal priority"}: ${
              clip(fullName(lead), 80)
            }`}
          </strong>
        </Text>
      </Section>
      <StaffActions lead={lead} links={entry.links} />
      <Detail label="Phone">
        {lead.phone_e164 ? formatPhoneForDisplay(lead.phone_e164) : "Not given"}
      </Detail>
      <Detail label="Service">{serviceTitle(lead.service_type)}</Detail>
      <Detail label="Vehicle">{clip(vehicleDescription(lead), 150) ?? "Not given"}</Detail>
      <Detail label="Reference">{lead.reference_number}</Detail>
      <Detail label="Received">{formatInstant(lead.created_at, settings.time_zone)}</Detail>
      <Hr style={styles.rule} />
    </Section>
  );
}

/** The staff digest email body. */
export function StaffDigestEmail({ leads, settings, windowMinutes }: StaffDigestProps) {
  const high = highCount(leads);
  return (
    <Html lang="en">
      <Head />
      <Preview>
        {`${counted(leads.length, "lead", "leads")} waiting for a call${
          high > 0 ? `, ${high} high priority` : ""
        }`}
      </Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Heading as="h1" style={styles.heading}>
            {staffDigestSubject(leads, windowMinutes).replace(/^🚨 /, "")}
          </Heading>
          <Text style={styles.text}>
            {`Leads are coming in fast: rather than one email each, these came in together. Call the high-priority ones first; every lead's full details are in the dashboard.`}
          </Text>
          {inCallOrder(leads).map((entry) => (
            <DigestLead key={entry.reference} entry={entry} settings={settings} />
          ))}
          <EmailFooter
            settings={settings}
            reason={`You are receiving this digest because you are on the new-lead list of ${settings.business_name}.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
