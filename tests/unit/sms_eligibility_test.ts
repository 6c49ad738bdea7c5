import assert from "node:assert/strict";
import {
  consentForLead,
  type LeadSmsConsent,
  type PhoneConsent,
  type SmsEligibility,
  smsEligibility,
  type SmsFacts,
} from "../../shared/compliance/sms_eligibility.ts";
import { makeSettings } from "./_fixtures.ts";

// 10:00 am in Denver (MST, UTC-7) on a Wednesday.
const tenAmDenver = new Date("2026-11-25T17:00:00Z");

function facts(overrides: Partial<SmsFacts> = {}): SmsFacts {
  return {
    phone: "+17209187465",
    consent: "opted_in",
    unreachable: false,
    sentLast24h: 0,
    spend: { spentUsd: 0, budgetUsd: 50 },
    lead: { state: "CO", time_zone: "America/Denver", also_time_zones: [] },
    settings: makeSettings(),
    now: tenAmDenver,
    ...overrides,
  };
}

Deno.test("smsEligibility() applies reachability, consent, the daily cap and quiet hours in that order", async (t) => {
  const cases: Array<[string, Partial<SmsFacts>, SmsEligibility]> = [
    ["a consenting Denver mobile at 10 am", {}, { action: "send" }],
    ["no phone", { phone: null }, { action: "suppress", reason: "missing_phone" }],
    ["a number that does not exist", { phone: "+11234567890" }, {
      action: "suppress",
      reason: "invalid_phone",
    }],
    ["a toll-free number", { phone: "+18005551234" }, {
      action: "suppress",
      reason: "not_mobile_capable",
    }],
    ["a UK mobile", { phone: "+447911123456" }, {
      action: "suppress",
      reason: "unsupported_country",
    }],
    ["a number the carrier reported as a landline (Twilio 30006)", { unreachable: true }, {
      action: "suppress",
      reason: "unreachable",
    }],
    ["opted out, even with a cap left", { consent: "opted_out" }, {
      action: "suppress",
      reason: "opted_out",
    }],
    ["no consent on record", { consent: "none" }, {
      action: "suppress",
      reason: "no_sms_consent",
    }],
    ["the shop's cap of 4 reached", { sentLast24h: 4 }, {
      action: "suppress",
      reason: "daily_cap (4 per 24 h)",
    }],
    ["3 sent to a Florida number (state cap 3)", {
      sentLast24h: 3,
      lead: { state: "FL", time_zone: "America/New_York", also_time_zones: [] },
    }, { action: "suppress", reason: "daily_cap (3 per 24 h)" }],
    ["3 sent to a Colorado number (cap 4)", { sentLast24h: 3 }, { action: "send" }],
    ["9:30 pm in Denver", { now: new Date("2026-11-26T04:30:00Z") }, {
      action: "defer",
      reason: "quiet_hours",
      until: new Date("2026-11-26T15:00:00Z"),
    }],
    ["opted out at 9:30 pm: suppressed, not deferred", {
      consent: "opted_out",
      now: new Date("2026-11-26T04:30:00Z"),
    }, { action: "suppress", reason: "opted_out" }],
    ["8:30 pm in Maryland (window ends at 8 pm there), a Baltimore phone", {
      phone: "+14105550123",
      lead: { state: "MD", time_zone: "America/New_York", also_time_zones: [] },
      settings: makeSettings({ sms_window_end_hour: 21 }),
      now: new Date("2026-11-26T01:30:00Z"),
    }, { action: "defer", reason: "quiet_hours", until: new Date("2026-11-26T13:00:00Z") }],
  ];
  for (const [name, overrides, expected] of cases) {
    await t.step(name, () => assert.deepEqual(smsEligibility(facts(overrides)), expected));
  }
});

Deno.test("consentForLead(): a lead is texted only with its own box ticked or an opt-in given after it", async (t) => {
  const leadAt = new Date("2026-11-25T17:00:00Z");
  const before = new Date("2026-11-20T17:00:00Z");
  const after = new Date("2026-11-25T17:05:00Z");
  const cases: Array<[string, boolean, PhoneConsent, LeadSmsConsent]> = [
    ["box ticked, opted in by this form", true, { state: "opted_in", since: leadAt }, "opted_in"],
    [
      "box unticked, opted in on an earlier form",
      false,
      { state: "opted_in", since: before },
      "not_on_this_lead",
    ],
    [
      "box unticked, START texted after the form",
      false,
      { state: "opted_in", since: after },
      "opted_in",
    ],
    [
      "box ticked, STOP texted after the form",
      true,
      { state: "opted_out", since: after },
      "opted_out",
    ],
    ["box unticked, opted out earlier", false, { state: "opted_out", since: before }, "opted_out"],
    ["box unticked, nothing on record", false, { state: "none", since: null }, "none"],
  ];
  for (const [name, ticked, phone, expected] of cases) {
    await t.step(name, () => {
      assert.equal(consentForLead({ sms_consent: ticked, created_at: leadAt }, phone), expected);
    });
  }
  await t.step("not on this lead is suppressed with its own reason", () => {
    assert.deepEqual(smsEligibility(facts({ consent: "not_on_this_lead" })), {
      action: "suppress",
      reason: "no_sms_consent_on_this_lead",
    });
  });
});
