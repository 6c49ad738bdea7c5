/**
 * The escalation text: a lead has waited past the escalation time with nobody on it. Names
 * the lead, how long it has waited, who had it, and the "I'm on it" link.
 */
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { fitSms, STAFF_SMS_SEGMENTS } from "./fit.ts";
import { fullName, waitedFor } from "../wording.ts";

/**
 * e.g. `ESCALATION: Jane Doe (Ref PAG-261125-0042) has waited 16 min with no call. Assigned
 * to Marco Ruiz. Call (720) 918-7465. I'm on it: https://…`
 */
export function staffEscalationSms(
  lead: Pick<
    Lead,
    "first_name" | "last_name" | "reference_number" | "phone_e164" | "assigned_to_name"
  >,
  waitedMs: number,
  claimLink: string | null,
): string {
  return fitSms<"name">(
    [(p) =>
      [
        `ESCALATION: ${p.name ?? "(no name)"} (Ref ${lead.reference_number}) has waited ${
          waitedFor(waitedMs)
        } with no call. Assigned to ${lead.assigned_to_name ?? "the admin inbox"}.`,
        lead.phone_e164 ? `Call ${formatPhoneForDisplay(lead.phone_e164)}.` : "No phone given.",
        ...(claimLink ? [`I'm on it: ${claimLink}`] : []),
      ].join("\n")],
    { name: fullName(lead) || null },
    STAFF_SMS_SEGMENTS,
  );
}
