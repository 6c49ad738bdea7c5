/**
 * Distribution decisions as planning and rendering apply them: routing a batch of leads, what a
 * lead's routing plans (repeats, on-call texts, the assignee's alert), and what the messages say
 * (the call-back promise by the shop's hours, the staff texts and subjects).
 */
import assert from "node:assert/strict";
import { planMessages } from "../../shared/messages/plan.ts";
import type { LeadRouting } from "../../shared/messages/kinds.ts";
import { isLeadKind, messageKind } from "../../shared/messages/catalog.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import type { EmailMessage } from "../../shared/channels/email.ts";
import type { SmsMessage } from "../../shared/channels/sms.ts";
import type { SmsConsentState } from "../../shared/compliance/sms_eligibility.ts";
import { routeLeads } from "../../shared/notify_lead/routing.ts";
import type { LeadForPlanning } from "../../shared/leads/lead_store.ts";
import type { RosterMember } from "../../shared/leads/assignment.ts";
import type { WeeklyHours } from "../../shared/leads/business_hours.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { makeLead, makeMember, makeSettings } from "./_fixtures.ts";

const adminEmail = "admin@pinkautoglass.com";
const morning = new Date("2026-11-25T17:00:00Z"); // Wed 10:00 in Denver
const routing = (overrides: Partial<LeadRouting> = {}): LeadRouting => ({
  priority: "normal",
  assigneeEmail: null,
  onCallPhone: null,
  duplicateOf: null,
  ...overrides,
});

function plan(lead: Lead, route: LeadRouting, consent: SmsConsentState = "opted_in") {
  const planned = planMessages("new_lead", lead, {
    setup: { adminEmail },
    smsConsent: { state: consent, since: null },
    smsUnreachable: null,
    smsSentLast24h: 0,
    smsSpend: { spentUsd: 0, budgetUsd: 50 },
    settings: makeSettings(),
    now: morning,
    routing: route,
  });
  return Object.fromEntries(planned.map((m) => [m.template, m]));
}

Deno.test("a lead's routing decides who is told and whether the customer is confirmed", async (t) => {
  const lead = makeLead();
  await t.step("the alert goes to the assignee", () => {
    const p = plan(lead, routing({ assigneeEmail: "dispatch@pinkautoglass.com" }));
    assert.equal(p.staff_new_lead_email.recipient, "dispatch@pinkautoglass.com");
  });
  await t.step("nobody on shift: the admin inbox", () => {
    assert.equal(plan(lead, routing()).staff_new_lead_email.recipient, adminEmail);
  });
  await t.step("a high-priority lead texts the on-call phone", () => {
    const p = plan(lead, routing({ priority: "high", onCallPhone: "+17205550101" }));
    assert.equal(p.staff_on_call_sms.recipient, "+17205550101");
    assert.equal(p.staff_on_call_sms.suppressedReason, null);
  });
  await t.step("a normal lead, or no on-call phone, texts nobody on staff", () => {
    assert.equal(plan(lead, routing({ onCallPhone: "+17205550101" })).staff_on_call_sms, undefined);
    assert.equal(plan(lead, routing({ priority: "high" })).staff_on_call_sms, undefined);
  });
  await t.step("a staff text is not held by the customer's quiet hours", () => {
    const night = planMessages("new_lead", lead, {
      setup: { adminEmail },
      smsConsent: { state: "opted_in", since: null },
      smsUnreachable: null,
      smsSentLast24h: 0,
      smsSpend: { spentUsd: 0, budgetUsd: 50 },
      settings: makeSettings(),
      now: new Date("2026-11-26T09:00:00Z"), // 2 am in Denver
      routing: routing({ priority: "high", onCallPhone: "+17205550101" }),
    });
    const staff = night.find((m) => m.template === "staff_on_call_sms")!;
    const customer = night.find((m) => m.template === "initial_confirmation_sms")!;
    assert.equal(staff.deferredUntil, undefined);
    assert.equal(customer.deferredReason, "quiet_hours");
  });
  await t.step("a repeat confirms the customer no more; staff are still told", () => {
    const p = plan(
      lead,
      routing({ duplicateOf: { id: "x", reference_number: "PAG-261125-0041" } }),
    );
    assert.equal(p.customer_confirmation_email.suppressedReason, "duplicate_of PAG-261125-0041");
    assert.equal(p.initial_confirmation_sms.suppressedReason, "duplicate_of PAG-261125-0041");
    assert.equal(p.staff_new_lead_email.suppressedReason, null);
  });
  await t.step("a text the SMS rules refuse keeps their reason, repeat or not", () => {
    const p = plan(
      lead,
      routing({ duplicateOf: { id: "x", reference_number: "PAG-261125-0041" } }),
      "opted_out",
    );
    assert.equal(p.initial_confirmation_sms.suppressedReason, "opted_out");
  });
});

function member(name: string, overrides: Partial<RosterMember> = {}): RosterMember {
  return makeMember({ id: `id-${name}`, full_name: name, phone_e164: null, ...overrides });
}

function facts(id: string, overrides: Partial<LeadForPlanning> = {}, lead: Partial<Lead> = {}) {
  return {
    lead: makeLead({ id, created_at: new Date(`2026-11-25T16:3${id}:00Z`), ...lead }),
    smsConsent: { state: "opted_in", since: null },
    smsUnreachable: null,
    smsSentLast24h: 0,
    smsSpend: { spentUsd: 0, budgetUsd: 50 },
    settings: makeSettings(),
    plannedBefore: false,
    mediaCount: 0,
    earlierLead: null,
    ...overrides,
  } satisfies LeadForPlanning;
}

Deno.test("routeLeads() takes turns in arrival order and keeps what was stored", async (t) => {
  const roster = [
    member("Ana", { last_assigned_at: new Date("2026-11-25T10:00:00Z") }),
    member("Ben", { on_call: true, phone_e164: "+17205550102" }),
  ];
  await t.step("new leads alternate, the longest-waiting member first", () => {
    const { routed, lastAssigned } = routeLeads([facts("3"), facts("1"), facts("2")], roster, {
      now: morning,
    });
    const by = Object.fromEntries(routed.map((r) => [r.facts.lead.id, r.assignee?.full_name]));
    assert.deepEqual(by, { "1": "Ben", "2": "Ana", "3": "Ben" });
    assert.equal(lastAssigned.size, 2);
  });
  await t.step("a lead planned before keeps its assignee, priority and repeat", () => {
    const [r] = routeLeads(
      [facts("1", { plannedBefore: true }, {
        assigned_to: "id-Ana",
        priority: "high",
        duplicate_of: "d",
        duplicate_of_reference: "PAG-261125-0001",
      })],
      roster,
      { now: morning },
    ).routed;
    assert.equal(r.assignee?.full_name, "Ana");
    assert.equal(r.routing.priority, "high");
    assert.deepEqual(r.routing.duplicateOf, { id: "d", reference_number: "PAG-261125-0001" });
  });
  await t.step("the on-call phone: STAFF_ON_CALL_PHONE, else the roster's", () => {
    assert.equal(
      routeLeads([facts("1")], roster, { now: morning }).routed[0].routing.onCallPhone,
      "+17205550102",
    );
    assert.equal(
      routeLeads([facts("1")], roster, { now: morning, onCallPhone: "+17205550199" }).routed[0]
        .routing.onCallPhone,
      "+17205550199",
    );
  });
  await t.step("an earlier lead with the same contact makes a new one a repeat", () => {
    const earlier = { id: "e", reference_number: "PAG-261125-0040" };
    const [r] = routeLeads([facts("1", { earlierLead: earlier })], roster, { now: morning }).routed;
    assert.deepEqual(r.routing.duplicateOf, earlier);
  });
  await t.step("priority is scored from the lead and its photos", () => {
    const [r] = routeLeads([facts("1", { mediaCount: 2 }, { mobile_service: false })], roster, {
      now: morning,
    }).routed;
    assert.equal(r.routing.priority, "high"); // replacement 3 + photos 2
  });
});

const SHOP_HOURS: WeeklyHours = {
  mon: { open: "08:00", close: "18:00" },
  tue: { open: "08:00", close: "18:00" },
  wed: { open: "08:00", close: "18:00" },
  thu: { open: "08:00", close: "18:00" },
  fri: { open: "08:00", close: "18:00" },
};

function ctx(lead: Lead, overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    lead,
    settings: makeSettings({ business_hours: SHOP_HOURS }),
    recipient: lead.phone_e164!,
    photoUrls: [],
    priority: "normal",
    setup: { adminEmail },
    now: morning,
    ...overrides,
  };
}

async function render<P>(template: string, context: RenderContext): Promise<P> {
  const kind = messageKind(template);
  assert.ok(kind && isLeadKind(kind));
  return await kind.render(context) as P;
}

Deno.test("the confirmations promise a call within 15 minutes only while the shop is open", async (t) => {
  const cases: Array<[string, Partial<Lead>, string, string]> = [
    ["Wednesday 10:00 in Denver", {}, "2026-11-25T17:00:00Z", "within 15 minutes"],
    [
      "04:56 in Honolulu (07:56 in Denver)",
      { state: "HI", zip: "96815", city: "Honolulu", time_zone: "Pacific/Honolulu" },
      "2026-11-25T14:56:00Z",
      "when we open at 5:00 am",
    ],
    ["Sunday noon in Denver", {}, "2026-11-29T19:00:00Z", "when we open tomorrow at 8:00 am"],
    ["Friday 17:50 in Denver", {}, "2026-11-28T00:50:00Z", "when we open on Monday at 8:00 am"],
  ];
  for (const [name, lead, now, promise] of cases) {
    await t.step(name, async () => {
      const l = makeLead(lead);
      const sms = await render<SmsMessage>(
        "initial_confirmation_sms",
        ctx(l, { now: new Date(now) }),
      );
      assert.ok(sms.body.includes(`We'll call you ${promise} to confirm`), sms.body);
      const email = await render<EmailMessage>(
        "customer_confirmation_email",
        ctx(l, { recipient: l.email!, now: new Date(now) }),
      );
      assert.ok(email.text.includes(`We'll call you ${promise} to confirm`), email.text);
    });
  }
});

Deno.test("staff messages name the priority, the repeat and the wait, and copy the admin inbox", async (t) => {
  const lead = makeLead({
    assigned_to_name: "Marco Ruiz",
    duplicate_of_reference: "PAG-261125-0041",
    priority: "high",
  });
  await t.step("the assignee's alert copies the admin inbox and marks the repeat", async () => {
    const email = await render<EmailMessage>(
      "staff_new_lead_email",
      ctx(lead, { recipient: "dispatch@pinkautoglass.com", priority: "high" }),
    );
    assert.deepEqual(email.cc, [adminEmail]);
    assert.equal(
      email.subject,
      "🚨 HIGH PRIORITY New Lead: 2019 Honda Civic - Replacement (possible duplicate of Ref #PAG-261125-0041)",
    );
    assert.match(email.text, /Assigned to: Marco Ruiz/);
  });
  await t.step("the admin inbox's own alert is not copied to itself", async () => {
    const email = await render<EmailMessage>(
      "staff_new_lead_email",
      ctx(lead, { recipient: adminEmail }),
    );
    assert.equal(email.cc, undefined);
  });
  await t.step("the on-call text", async () => {
    const sms = await render<SmsMessage>(
      "staff_on_call_sms",
      ctx(lead, { links: { claim: "https://x/lead-action?t=a.b", called: "https://x/c" } }),
    );
    assert.equal(
      sms.body,
      "HIGH PRIORITY lead: Jane Doe, 2019 Honda Civic, Replacement. Ref PAG-261125-0042.\n" +
        "Call (720) 918-7465.\nI'm on it: https://x/lead-action?t=a.b",
    );
  });
  await t.step("the escalation says how long the lead has waited", async () => {
    const now = new Date(lead.created_at.getTime() + 75 * 60_000);
    const email = await render<EmailMessage>(
      "staff_escalation_email",
      ctx(lead, { recipient: adminEmail, now, onCallEmail: "dana@pinkautoglass.com" }),
    );
    assert.equal(
      email.subject,
      "⏰ No call yet: Jane Doe (Ref PAG-261125-0042) has waited 1 h 15 min",
    );
    assert.deepEqual(email.cc, ["dana@pinkautoglass.com"]);
    const sms = await render<SmsMessage>("staff_escalation_sms", ctx(lead, { now }));
    assert.match(sms.body, /^ESCALATION: Jane Doe \(Ref PAG-261125-0042\) has waited 1 h 15 min/);
    assert.match(sms.body, /Assigned to Marco Ruiz\./);
  });
});
