/**
 * The on-call text for a high-priority lead: short, everything needed to call at once, and
 * the "I'm on it" link. Staff texts are the shop's own: no customer quiet hours, no footer.
 */
import { formatPhoneForDisplay } from "../../shared/compliance/phone.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { fitSms, STAFF_SMS_SEGMENTS } from "./fit.ts";
import { fullName, serviceTitle, vehicleDescription } from "../wording.ts";

/**
 * e.g. `HIGH PRIORITY lead: Jane Doe, 2019 Honda Civic, Replacement. Ref PAG-261125-0042.
 * Call (720) 918-7465. I'm on it: https://…`
 */
export function staffOnCallSms(
  lead: Pick<
    Lead,
    | "first_name"
    | "last_name"
    | "vehicle_year"
    | "vehicle_make"
    | "vehicle_model"
    | "service_type"
    | "reference_number"
    | "phone_e164"
  >,
  claimLink: string | null,
): string {
  return fitSms<"name" | "vehicle">(
    [(p) =>
      [
        `HIGH PRIORITY lead: ${p.name ?? "(no name)"}, ${p.vehicle ? `${p.vehicle}, ` : ""}${
          serviceTitle(lead.service_type)
        }. Ref ${lead.reference_number}.`,
        lead.phone_e164 ? `Call ${formatPhoneForDisplay(lead.phone_e164)}.` : "No phone given.",
        ...(claimLink ? [`I'm on it: ${claimLink}`] : []),
      ].join("\n")],
    { name: fullName(lead) || null, vehicle: vehicleDescription(lead) },
    STAFF_SMS_SEGMENTS,
  );
}
