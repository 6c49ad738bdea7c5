/** @jsxImportSourceTypes @types/react */
/**
 * Staff alert for a new lead (docs/plan.md §2.1 #2): everything needed to call the customer back
 * without opening another screen. Every lead field is shown, "Not given" included, so
 * staff can tell an empty field from a missing line.
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
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import {
  clip,
  formatInstant,
  formatPreferredDate,
  fullAddress,
  fullName,
  serviceTitle,
  sourceFormLabel,
  vehicleDescription,
} from "../wording.ts";
import { Detail, EmailFooter, isWebUrl, Lines, StaffActions, styles } from "./layout.tsx";

/** Props of {@linkcode StaffNewLeadAlertEmail}. */
export interface StaffNewLeadAlertProps {
  lead: Lead;
  settings: BusinessSettings;
  /** Signed Storage URLs of the customer's photos. */
  photoUrls: string[];
  priority: "high" | "normal";
  /** What is known about texting the customer's phone: an opt-out, a carrier's report. */
  phoneSms?: RenderContext["phoneSms"];
  /** The "I'm on it" / "I called" links (lead-action); none when links are not configured. */
  links?: RenderContext["links"];
}

/**
 * `🚨 New Lead: 2019 Honda Civic - Replacement`; `Vehicle not given` when there is none;
 * `🚨 HIGH PRIORITY New Lead: …` for a high-priority lead; `… (possible duplicate of Ref
 * PAG-…)` when the same phone or email came in shortly before.
 */
export function staffNewLeadAlertSubject(
  lead: Pick<
    Lead,
    "vehicle_year" | "vehicle_make" | "vehicle_model" | "service_type" | "duplicate_of_reference"
  >,
  priority: "high" | "normal" = "normal",
): string {
  const vehicle = clip(vehicleDescription(lead), 60) ?? "Vehicle not given";
  const duplicate = lead.duplicate_of_reference
    ? ` (possible duplicate of Ref #${lead.duplicate_of_reference})`
    : "";
  return `🚨 ${priority === "high" ? "HIGH PRIORITY " : ""}New Lead: ${vehicle} - ${
    serviceTitle(lead.service_type)
  }${duplicate}`;
}

const NOT_GIVEN = "Not given";

const priorityStyles = {
  high: { backgroundColor: "#c92a2a", color: "#ffffff" },
  normal: { backgroundColor: "#e9ecef", color: "#222222" },
};

/** The staff new-lead alert email body. */
export function StaffNewLeadAlertEmail(
  { lead, settings, photoUrls, priority, phoneSms, links }: StaffNewLeadAlertProps,
) {
  // Everything the customer typed, shown whole up to the database's own limits.
  const name = clip(fullName(lead), 200);
  const vehicle = clip(vehicleDescription(lead), 150);
  const address = clip(fullAddress(lead), 400);
  const photos = photoUrls.filter(isWebUrl);
  const consent = phoneSms?.unreachable
    ? `Cannot text this number: ${phoneSms.unreachable.reason} (Twilio ${phoneSms.unreachable.error_code}). Call instead.`
    : phoneSms?.consent === "opted_out"
    ? "No: this number opted out of texts"
    : lead.sms_consent
    ? [
      "Yes",
      lead.sms_consent_at && `given ${formatInstant(lead.sms_consent_at, settings.time_zone)}`,
      lead.sms_consent_source && `via ${lead.sms_consent_source}`,
    ].filter(Boolean).join(", ")
    : "No: do not text this customer";

  return (
    <Html lang="en">
      <Head />
      <Preview>
        {`${priority === "high" ? "High priority: " : ""}${name}, ${
          serviceTitle(lead.service_type)
        }, ref ${lead.reference_number}`}
      </Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Section style={{ ...styles.panel, ...priorityStyles[priority] }}>
            <Text style={{ ...styles.detail, color: priorityStyles[priority].color }}>
              <strong>
                {priority === "high"
                  ? "HIGH PRIORITY: call this customer first"
                  : "Normal priority"}
              </strong>
            </Text>
          </Section>
          <Heading as="h1" style={styles.heading}>{`New lead: ${name}`}</Heading>
          {lead.duplicate_of_reference && (
            <Text style={styles.detail}>
              <strong>{`Possible duplicate of Ref #${lead.duplicate_of_reference}`}</strong>
              {": the same phone or email came in shortly before; the customer was not confirmed again."}
            </Text>
          )}

          <StaffActions lead={lead} links={links} />

          <Section>
            <Detail label="Assigned to">{lead.assigned_to_name ?? "Nobody on shift"}</Detail>
            <Detail label="Name">{name}</Detail>
            <Detail label="Phone">
              {lead.phone_e164
                ? (
                  <Link href={`tel:${lead.phone_e164}`} style={styles.link}>
                    {formatPhoneForDisplay(lead.phone_e164)}
                  </Link>
                )
                : NOT_GIVEN}
            </Detail>
            <Detail label="Email">
              {lead.email
                ? <Link href={`mailto:${lead.email}`} style={styles.link}>{lead.email}</Link>
                : NOT_GIVEN}
            </Detail>
            <Detail label="Service">{serviceTitle(lead.service_type)}</Detail>
            <Detail label="Vehicle">{vehicle ?? NOT_GIVEN}</Detail>
            <Detail label="Mobile service">
              {lead.mobile_service ? "Yes, go to the customer" : "No"}
            </Detail>
            <Detail label="Preferred date">
              {lead.preferred_date ? formatPreferredDate(lead.preferred_date) : NOT_GIVEN}
            </Detail>
            <Detail label="Address">{address ?? NOT_GIVEN}</Detail>
            <Detail label="Notes">
              <Lines text={clip(lead.notes, 2000)} />
            </Detail>
            <Detail label="Source">{sourceFormLabel(lead.source_form)}</Detail>
            <Detail label="Reference">{lead.reference_number}</Detail>
            <Detail label="Received">
              {formatInstant(lead.created_at, settings.time_zone)}
            </Detail>
            <Detail label="SMS consent">{consent}</Detail>
          </Section>

          <Heading as="h2" style={styles.subheading}>
            {photos.length > 0 ? `Photos (${photos.length})` : "Photos"}
          </Heading>
          {photos.length > 0
            ? (
              <>
                {photos.map((url, i) => (
                  <Text key={url} style={styles.detail}>
                    <Link href={url} style={styles.link}>{`Photo ${i + 1}`}</Link>
                  </Text>
                ))}
                <Text style={styles.footer}>Photo links are temporary.</Text>
              </>
            )
            : <Text style={styles.detail}>No photos uploaded.</Text>}

          <Hr style={styles.rule} />
          <EmailFooter
            settings={settings}
            reason={`You are receiving this alert because you are on the new-lead list of ${settings.business_name}.`}
          />
        </Container>
      </Body>
    </Html>
  );
}
