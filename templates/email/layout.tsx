/** @jsxImportSourceTypes @types/react */
/**
 * What every email shares: the styles and the footer naming the business, its phone and
 * its postal address (CAN-SPAM asks for a valid physical postal address in every email).
 */
import { Button } from "@react-email/button";
import { Link } from "@react-email/link";
import { Section } from "@react-email/section";
import { Text } from "@react-email/text";
// @ts-types="@types/react"
import { type CSSProperties, Fragment, type ReactNode } from "react";
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import { cleanText } from "../wording.ts";

const brandPink = "#d6336c";

/** Inline styles (email clients ignore most stylesheets). */
export const styles = {
  body: {
    backgroundColor: "#f6f6f6",
    fontFamily: "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
    margin: 0,
    padding: "24px 0",
  },
  container: {
    backgroundColor: "#ffffff",
    borderRadius: "8px",
    margin: "0 auto",
    maxWidth: "600px",
    padding: "24px 32px",
  },
  heading: { color: brandPink, fontSize: "24px", margin: "0 0 16px" },
  subheading: { color: "#222222", fontSize: "18px", margin: "24px 0 8px" },
  text: { color: "#222222", fontSize: "16px", lineHeight: "24px", margin: "0 0 12px" },
  panel: {
    backgroundColor: "#fdf0f5",
    borderRadius: "6px",
    margin: "16px 0",
    padding: "12px 16px",
  },
  detail: { color: "#222222", fontSize: "15px", lineHeight: "22px", margin: "4px 0" },
  link: { color: brandPink },
  button: {
    backgroundColor: brandPink,
    borderRadius: "6px",
    color: "#ffffff",
    fontSize: "16px",
    fontWeight: "bold",
    padding: "12px 20px",
    textDecoration: "none",
  },
  rule: { borderColor: "#eeeeee", margin: "24px 0 16px" },
  footer: { color: "#888888", fontSize: "12px", lineHeight: "18px", margin: "0 0 4px" },
} satisfies Record<string, CSSProperties>;

/** Props of {@linkcode EmailFooter}. */
export interface EmailFooterProps {
  settings: BusinessSettings;
  /** Why the reader got this email. */
  reason: string;
}

/** Business name, phone, postal address and website, then why the reader got the email. */
export function EmailFooter({ settings, reason }: EmailFooterProps) {
  return (
    <>
      <Text style={styles.footer}>
        {`${settings.business_name} · `}
        <Link href={`tel:${settings.phone_e164}`} style={styles.footer}>
          {settings.phone_display}
        </Link>
        {" · "}
        <Link href={settings.website_url} style={styles.footer}>{settings.website_url}</Link>
      </Text>
      <Text style={styles.footer}>{settings.postal_address}</Text>
      <Text style={styles.footer}>{reason}</Text>
    </>
  );
}

/** Whether a link may be shown as one: http(s) only, never javascript: or data:. */
export function isWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

// "Label: value" paragraphs rather than a two-column table: they read the same in the
// plain-text part and on a phone screen.
/** One "Label: value" line of a staff email. */
export function Detail({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Text style={styles.detail}>
      <strong>{`${label}:`}</strong> {children}
    </Text>
  );
}

/** Customer-typed text with its line breaks kept (each line cleaned); "None" when empty. */
export function Lines({ text }: { text: string | null }) {
  // A line as long as the notes the database accepts (2,000) is shown whole.
  const lines = (text ?? "").split(/\r?\n/).map((line) => cleanText(line, 2000))
    .filter((line) => line !== null);
  if (lines.length === 0) return <>None</>;
  return <>{lines.map((line, i) => <Fragment key={i}>{i > 0 && <br />}{line}</Fragment>)}</>;
}

/**
 * What a staff email asks of its reader, first: the call button (when the lead gave a phone),
 * then the "I'm on it" / "I called them" links (when links are configured).
 */
export function StaffActions(
  { lead, links }: {
    lead: Pick<Lead, "phone_e164" | "first_name">;
    links?: { claim: string; called: string };
  },
) {
  return (
    <>
      {lead.phone_e164 && (
        <Section style={{ margin: "0 0 16px" }}>
          <Button href={`tel:${lead.phone_e164}`} style={styles.button}>
            {`Call ${cleanText(lead.first_name) ?? "them"} now`}
          </Button>
        </Section>
      )}
      {links && (
        <Section style={{ margin: "0 0 16px" }}>
          <Link href={links.claim} style={styles.link}>I'm on it</Link>
          {"  ·  "}
          <Link href={links.called} style={styles.link}>I called them</Link>
        </Section>
      )}
    </>
  );
}
