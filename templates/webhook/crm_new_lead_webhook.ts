/**
 * The CRM's new-lead webhook body (docs/plan.md §7.2): the lead as the shop's CRM imports it. Field
 * names are the plan's (camelCase), values the lead's own, null where the form did not ask.
 * A CRM's automations write to customers with these fields, so the typed words follow the
 * customers' rule (customerWords): a field that is not plain words is sent as null and named
 * in `withheld`; the dashboard keeps it as typed.
 */
import type { Lead } from "../../shared/leads/types.ts";
import type { LeadPriority } from "../../shared/compliance/priority.ts";
import { customerWords } from "../wording.ts";

/** The JSON the CRM receives. */
export interface CrmLeadPayload {
  leadId: string;
  referenceNumber: string;
  customer: {
    firstName: string | null;
    lastName: string | null;
    phone: string | null;
    email: string | null;
  };
  vehicle: { year: number | null; make: string | null; model: string | null };
  service: { type: string; mobileService: boolean; preferredDate: string | null };
  location: { city: string | null; state: string | null; zip: string | null };
  priority: LeadPriority;
  /** When the lead was submitted (ISO 8601): the same on every retry of this webhook. */
  timestamp: string;
  /** The fields sent as null because what was typed is not plain words, e.g. "customer.firstName". */
  withheld: string[];
}

/** The payload for one lead. */
export function crmNewLeadPayload(lead: Lead, priority: LeadPriority): CrmLeadPayload {
  const withheld: string[] = [];
  const words = (field: string, value: string | null, kind: "name" | "vehicle") => {
    const kept = customerWords(value, kind);
    if (kept === null && value !== null && value.trim() !== "") withheld.push(field);
    return kept;
  };
  return {
    leadId: lead.id,
    referenceNumber: lead.reference_number,
    customer: {
      firstName: words("customer.firstName", lead.first_name, "name"),
      lastName: words("customer.lastName", lead.last_name, "name"),
      phone: lead.phone_e164,
      email: lead.email,
    },
    vehicle: {
      year: lead.vehicle_year,
      make: words("vehicle.make", lead.vehicle_make, "vehicle"),
      model: words("vehicle.model", lead.vehicle_model, "vehicle"),
    },
    service: {
      type: lead.service_type,
      mobileService: lead.mobile_service,
      preferredDate: lead.preferred_date,
    },
    location: { city: words("location.city", lead.city, "name"), state: lead.state, zip: lead.zip },
    priority,
    timestamp: new Date(lead.created_at).toISOString(),
    withheld,
  };
}
