/**
 * The Slack message for a new lead: who, what vehicle, which service, how urgent, the
 * reference, and a tap-to-call link. Slack's incoming webhooks take `{ "text": … }` in its
 * mrkdwn; values from the lead are escaped so a name cannot inject a link or a mention.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { LeadPriority } from "../../shared/compliance/priority.ts";
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import { fullName, serviceTitle, vehicleDescription } from "../wording.ts";

/** Slack's three control characters (its docs: "Escaping text"). */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The message body Slack's incoming webhook receives. */
export function slackNewLeadMessage(
  lead: Lead,
  priority: LeadPriority,
  settings: Pick<BusinessSettings, "business_name">,
): { text: string } {
  const heading = priority === "high"
    ? `:rotating_light: *New lead (HIGH priority)* for ${slackEscape(settings.business_name)}`
    : `*New lead* for ${slackEscape(settings.business_name)}`;
  const phone = lead.phone_e164
    ? `<tel:${lead.phone_e164}|${slackEscape(formatPhoneForDisplay(lead.phone_e164))}>`
    : "no phone given";
  const vehicle = vehicleDescription(lead) ?? "Vehicle not given";
  return {
    text: [
      heading,
      `*${slackEscape(fullName(lead))}*: ${phone}`,
      `${slackEscape(vehicle)} - ${serviceTitle(lead.service_type)}${
        lead.mobile_service ? " (mobile service)" : ""
      }`,
      `Priority: ${priority}`,
      `Ref: ${lead.reference_number}`,
    ].join("\n"),
  };
}
