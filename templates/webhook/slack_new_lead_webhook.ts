/**
 * The Slack message for a new lead: who, what vehicle, which service, how urgent, the
 * reference, and a tap-to-call link. Slack's incoming webhooks take `{ "text": … }` in its
 * mrkdwn. The typed words follow the customers' rule (customerWords: no link, domain or
 * number Slack would turn into a link), and what is left is escaped so it cannot make a link
 * or a mention either; a name that is not plain words is withheld, kept in the dashboard.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import type { LeadPriority } from "../../shared/compliance/priority.ts";
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import { customerVehicle, customerWords, serviceTitle } from "../wording.ts";

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
  const vehicle = customerVehicle(lead) ?? "Vehicle not given";
  const typed = [lead.first_name, lead.last_name].filter((part) => part?.trim());
  const kept = typed.map((part) => customerWords(part, "name")).filter((part) => part !== null);
  const withheld = kept.length < typed.length
    ? `${kept.length > 0 ? " " : ""}(name withheld: not plain words, see the dashboard)`
    : "";
  const name = `${slackEscape(kept.join(" "))}${withheld}`;
  return {
    text: [
      heading,
      `*${name || "(no name given)"}*: ${phone}`,
      `${slackEscape(vehicle)} - ${serviceTitle(lead.service_type)}${
        lead.mobile_service ? " (mobile service)" : ""
      }`,
      `Priority: ${priority}`,
      `Ref: ${lead.reference_number}`,
    ].join("\n"),
  };
}
