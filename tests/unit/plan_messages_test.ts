import assert from "node:assert/strict";
import { type PlanFacts, planMessages } from "../../shared/messages/plan.ts";
import type { SmsConsentState } from "../../shared/compliance/sms_eligibility.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { makeLead, makeQuickQuoteLead, makeSettings } from "./_fixtures.ts";

const adminEmail = "admin@pinkautoglass.com";
// 10:00 in Denver: inside the default SMS window, so the hour never decides these cases.
const morning = new Date("2026-11-25T17:00:00Z");

/** Plans a new lead's messages with every fact but the ones a case is about fixed. */
function planNewLeadMessages(
  lead: Lead,
  opts:
    & { adminEmail: string; smsConsent: SmsConsentState }
    & Partial<Omit<PlanFacts, "smsConsent">>,
) {
  return planMessages("new_lead", lead, {
    setup: { adminEmail: opts.adminEmail, ...opts.setup },
    smsConsent: { state: opts.smsConsent, since: null },
    smsUnreachable: opts.smsUnreachable ?? null,
    smsSentLast24h: opts.smsSentLast24h ?? 0,
    smsSpend: opts.smsSpend ?? { spentUsd: 0, budgetUsd: 50 },
    settings: opts.settings ?? makeSettings(),
    now: opts.now ?? morning,
  });
}

function smsOf(plan: ReturnType<typeof planNewLeadMessages>) {
  const sms = plan.find((m) => m.template === "initial_confirmation_sms");
  assert.ok(sms, "the SMS is always planned");
  return sms;
}

Deno.test("planMessages(new_lead) plans all three messages for a consenting customer", () => {
  const lead = makeLead();
  assert.deepEqual(planNewLeadMessages(lead, { adminEmail, smsConsent: "opted_in" }), [
    {
      key: `${lead.id}:customer_confirmation_email`,
      channel: "email",
      template: "customer_confirmation_email",
      recipient: "jane.doe@example.com",
      suppressedReason: null,
    },
    {
      key: `${lead.id}:staff_new_lead_email`,
      channel: "email",
      template: "staff_new_lead_email",
      recipient: adminEmail,
      suppressedReason: null,
    },
    {
      key: `${lead.id}:initial_confirmation_sms`,
      channel: "sms",
      template: "initial_confirmation_sms",
      recipient: "+17209187465",
      suppressedReason: null,
    },
  ]);
});

Deno.test("planMessages(new_lead) gives every message a unique, repeatable key", () => {
  const lead = makeLead();
  const first = planNewLeadMessages(lead, { adminEmail, smsConsent: "opted_in" });
  const again = planNewLeadMessages(lead, { adminEmail, smsConsent: "none" });
  assert.equal(new Set(first.map((m) => m.key)).size, first.length);
  assert.deepEqual(first.map((m) => m.key), again.map((m) => m.key));
});

Deno.test("planMessages(new_lead) suppresses the SMS when the lead gave no consent", async (t) => {
  await t.step("no consent on record", () => {
    const plan = planNewLeadMessages(makeLead({ sms_consent: false }), {
      adminEmail,
      smsConsent: "none",
    });
    assert.equal(smsOf(plan).suppressedReason, "no_sms_consent");
    assert.equal(smsOf(plan).recipient, "+17209187465");
  });
  await t.step("the phone opted out, whatever this lead's form said", () => {
    const plan = planNewLeadMessages(makeLead({ sms_consent: true }), {
      adminEmail,
      smsConsent: "opted_out",
    });
    assert.equal(smsOf(plan).suppressedReason, "opted_out");
  });
});

Deno.test("planMessages(new_lead) suppresses the SMS when the phone cannot be texted", async (t) => {
  const cases = [
    { phone: null, reason: "missing_phone", recipient: null },
    { phone: "+1555", reason: "invalid_phone", recipient: "+1555" },
    { phone: "+18005551234", reason: "not_mobile_capable", recipient: "+18005551234" },
  ];
  for (const { phone, reason, recipient } of cases) {
    await t.step(`${phone} is ${reason}`, () => {
      const plan = planNewLeadMessages(makeLead({ phone_e164: phone }), {
        adminEmail,
        smsConsent: "opted_in",
      });
      assert.equal(smsOf(plan).suppressedReason, reason);
      assert.equal(smsOf(plan).recipient, recipient);
    });
  }
  await t.step("Twilio's magic numbers are not suppressed: the provider rejects them", () => {
    const plan = planNewLeadMessages(makeLead({ phone_e164: "+15005550009" }), {
      adminEmail,
      smsConsent: "opted_in",
    });
    assert.equal(smsOf(plan).suppressedReason, null);
  });
});

Deno.test("planMessages(new_lead) records a suppressed customer email when there is no address", () => {
  const plan = planNewLeadMessages(makeQuickQuoteLead(), { adminEmail, smsConsent: "none" });
  assert.deepEqual(plan.map((m) => [m.template, m.recipient, m.suppressedReason]), [
    ["customer_confirmation_email", null, "missing_email"],
    ["staff_new_lead_email", adminEmail, null],
    ["initial_confirmation_sms", "+17209187465", "no_sms_consent"],
  ]);
});

Deno.test("planMessages(new_lead) records the customer email suppressed as invalid_address when the providers would refuse the address", () => {
  const lead = makeQuickQuoteLead({ email: '"<script>alert(4)</script>"@example.com' });
  const plan = planNewLeadMessages(lead, { adminEmail, smsConsent: "none" });
  assert.deepEqual(plan.map((m) => [m.template, m.recipient, m.suppressedReason]), [
    ["customer_confirmation_email", null, "invalid_address"],
    ["staff_new_lead_email", adminEmail, null],
    ["initial_confirmation_sms", "+17209187465", "no_sms_consent"],
  ]);
});

Deno.test("planMessages(new_lead) always alerts staff and refuses a blank admin email", async (t) => {
  await t.step("the staff alert goes out even for a lead with no email and no phone", () => {
    const lead = makeQuickQuoteLead({ phone_e164: null, email: "x@example.com" });
    const staff = planNewLeadMessages(lead, { adminEmail, smsConsent: "none" })
      .find((m) => m.template === "staff_new_lead_email");
    assert.deepEqual(staff?.recipient, adminEmail);
    assert.equal(staff?.suppressedReason, null);
  });
  await t.step("a blank admin email is a configuration error", () => {
    assert.throws(
      () => planNewLeadMessages(makeLead(), { adminEmail: "  ", smsConsent: "opted_in" }),
      TypeError,
    );
  });
});
