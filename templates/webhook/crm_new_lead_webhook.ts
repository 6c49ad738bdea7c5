/**
 * The CRM's new-lead webhook body (plan §7.2): the lead as the shop's CRM imports it. Field
 * names are the plan's (camelCase), values the lead's own, null where the form did not ask.
 */
import type { Lead } from "../../shared/leads/types.ts";
import type { LeadPriority } from "../../shared/compliance/priority.ts";

/** The JSON the CRM receives. */
export interface CrmLeadPayload {
  leadId: string;
  referenceNumber: string;
  customer: {
    firstName: string;
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
}

/** The payload for one lead. */
export function crmNewLeadPayload(lead: Lead, priority: LeadPriority): CrmLeadPayload {
  return {
    leadId: lead.id,
    referenceNumber: lead.reference_number,
    customer: {
      firstName: lead.first_name,
      lastName: lead.last_name,
      phone: lead.phone_e164,
      email: lead.email,
    },
    vehicle: { year: lead.vehicle_year, make: lead.vehicle_make, model: lead.vehicle_model },
    service: {
      type: lead.service_type,
      mobileService: lead.mobile_service,
      preferredDate: lead.preferred_date,
    },
    location: { city: lead.city, state: lead.state, zip: lead.zip },
    priority,
    timestamp: new Date(lead.created_at).toISOString(),
  };
}
