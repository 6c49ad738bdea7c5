/** Fixture builders for the unit tests: the shop's settings, an outbox row, an appointment. */

// The one lead builder, shared with the tests that insert leads.
export { makeLead, makeQuickQuoteLead } from "../support/fixtures.ts";
import type { BusinessSettings } from "../../shared/leads/types.ts";
import type { OutboxRow } from "../../shared/outbox/store.ts";
import type { Appointment } from "../../shared/appointments/types.ts";
import type { RosterMember } from "../../shared/leads/assignment.ts";

/** The single business_settings row. */
export function makeSettings(overrides: Partial<BusinessSettings> = {}): BusinessSettings {
  return {
    business_name: "Pink Auto Glass",
    phone_display: "(720) 918-7465",
    phone_e164: "+17209187465",
    postal_address: "1234 Colfax Ave, Denver, CO 80204",
    website_url: "https://pinkautoglass.com",
    reply_to_email: "hello@pinkautoglass.com",
    time_zone: "America/Denver",
    sms_window_start_hour: 8,
    sms_window_end_hour: 20,
    sms_daily_cap: 4,
    business_hours: null,
    escalation_minutes: 15,
    on_call_sms_hourly_cap: 6,
    escalations_per_sweep: 20,
    escalations_per_hour: 60,
    first_texts_per_hour: 30,
    staff_alerts_per_window: 5,
    staff_alert_window_minutes: 10,
    duplicate_window_minutes: 30,
    ...overrides,
  };
}

/** A claimed outbox row (a customer email on its first attempt); override what a test is about. */
export function makeOutboxRow(overrides: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: "1",
    key: "lead-1:customer_confirmation_email",
    lead_id: "00000000-0000-4000-8000-000000000001",
    channel: "email",
    template: "customer_confirmation_email",
    recipient: "jane@example.com",
    payload: {},
    status: "sending",
    status_reason: null,
    rank: 0,
    attempts: 1,
    max_attempts: 6,
    next_attempt_at: new Date(0),
    provider_message_id: null,
    provider: null,
    delivery_status: null,
    last_error: null,
    lease_token: "00000000-0000-4000-8000-00000000000a",
    claimed_at: new Date(0),
    in_doubt_since: null,
    send_ref: null,
    rendered_for: null,
    created_at: new Date(0),
    ...overrides,
  };
}

/** A scheduled appointment, Fri Nov 27 2026, 9–11 am in Denver, version 1. */
export function makeAppointment(overrides: Partial<Appointment> = {}): Appointment {
  return {
    appointment_id: "5d0c8a64-3a5e-4d8f-9a0e-0c6a1b2c3d4e",
    version: 1,
    status: "scheduled",
    starts_at: new Date("2026-11-27T16:00:00Z"),
    ends_at: new Date("2026-11-27T18:00:00Z"),
    time_window: "9-11 am",
    time_zone: "America/Denver",
    technician: "Ava Chen",
    service_address: "123 Main St, Denver, CO 80202",
    notes: null,
    cancel_reason: null,
    rescheduled: false,
    changed_at: new Date("2026-11-25T17:00:00Z"),
    ...overrides,
  };
}

/** An active member on alerts, with email and phone, never assigned, no shift recorded. */
export function makeMember(
  overrides: Partial<RosterMember> & Pick<RosterMember, "id">,
): RosterMember {
  return {
    full_name: `Member ${overrides.id}`,
    email: `${overrides.id}@example.com`,
    phone_e164: "+17205550100",
    receives_lead_alerts: true,
    on_call: false,
    active: true,
    time_zone: "America/Denver",
    working_hours: null,
    last_assigned_at: null,
    quiet_hours_start: null,
    quiet_hours_end: null,
    ...overrides,
  };
}
