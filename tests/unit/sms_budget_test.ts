import assert from "node:assert/strict";
import {
  smsBudgetSpent,
  smsBudgetStop,
  type SmsSpend,
  usd,
} from "../../shared/compliance/sms_budget.ts";
import { smsEligibility, type SmsFacts } from "../../shared/compliance/sms_eligibility.ts";
import { planMessages } from "../../shared/messages/plan.ts";
import type { LeadRouting } from "../../shared/messages/kinds.ts";
import { assessHealth } from "../../shared/admin/health.ts";
import { type AlertState, decideAlerts, REMIND_EVERY_MS } from "../../shared/admin/alerts.ts";
import { snapshot } from "../support/health.ts";
import { makeLead, makeSettings } from "./_fixtures.ts";

// 10:00 am in Denver (MST, UTC-7) on a Wednesday: inside the SMS window.
const tenAmDenver = new Date("2026-11-25T17:00:00Z");
const spent: SmsSpend = { spentUsd: 50.01, budgetUsd: 50 };

Deno.test("smsBudgetStop() stops texts once the day's spend reaches the budget, and not before", async (t) => {
  const cases: [string, SmsSpend, string | null][] = [
    ["nothing spent", { spentUsd: 0, budgetUsd: 50 }, null],
    ["a cent under the budget", { spentUsd: 49.99, budgetUsd: 50 }, null],
    ["exactly the budget", { spentUsd: 50, budgetUsd: 50 }, "sms_budget_spent ($50.00 per day)"],
    ["past the budget", { spentUsd: 63.2, budgetUsd: 50 }, "sms_budget_spent ($50.00 per day)"],
    [
      "a budget of 0, nothing spent",
      { spentUsd: 0, budgetUsd: 0 },
      "sms_budget_spent ($0.00 per day)",
    ],
    [
      "a sub-cent budget",
      { spentUsd: 0.0083, budgetUsd: 0.005 },
      "sms_budget_spent ($0.0050 per day)",
    ],
  ];
  for (const [name, spend, reason] of cases) {
    await t.step(name, () => {
      assert.equal(smsBudgetStop(spend), reason);
      assert.equal(smsBudgetSpent(spend), reason !== null);
    });
  }
  assert.equal(usd(12.5), "$12.50");
});

function facts(overrides: Partial<SmsFacts> = {}): SmsFacts {
  return {
    phone: "+17209187465",
    consent: "opted_in",
    unreachable: false,
    sentLast24h: 0,
    spend: spent,
    lead: { state: "CO", time_zone: "America/Denver", also_time_zones: [] },
    settings: makeSettings(),
    now: tenAmDenver,
    ...overrides,
  };
}

Deno.test("smsEligibility() suppresses a text that would go now once the budget is spent, after the law's reasons", async (t) => {
  const cases: [string, Partial<SmsFacts>, ReturnType<typeof smsEligibility>][] = [
    ["a consenting customer at 10 am", {}, {
      action: "suppress",
      reason: "sms_budget_spent ($50.00 per day)",
    }],
    ["the same under the budget", { spend: { spentUsd: 10, budgetUsd: 50 } }, { action: "send" }],
    ["opted out: the opt-out is the reason", { consent: "opted_out" }, {
      action: "suppress",
      reason: "opted_out",
    }],
    ["no consent: no consent is the reason", { consent: "none" }, {
      action: "suppress",
      reason: "no_sms_consent",
    }],
    ["9:30 pm: deferred to 8 am, when the budget is judged again", {
      now: new Date("2026-11-26T04:30:00Z"),
    }, { action: "defer", reason: "quiet_hours", until: new Date("2026-11-26T15:00:00Z") }],
    ["judged for a later day (spend null): sent", { spend: null }, { action: "send" }],
  ];
  for (const [name, overrides, expected] of cases) {
    await t.step(name, () => assert.deepEqual(smsEligibility(facts(overrides)), expected));
  }
});

const highPriority: LeadRouting = {
  priority: "high",
  assigneeEmail: "ava@pinkautoglass.com",
  onCallPhone: "+17205550100",
  duplicateOf: null,
};

function planNewLead(spend: SmsSpend) {
  const lead = makeLead({ sms_consent: true });
  const planned = planMessages("new_lead", lead, {
    setup: { adminEmail: "admin@pinkautoglass.com" },
    smsConsent: { state: "opted_in", since: null },
    smsUnreachable: null,
    smsSentLast24h: 0,
    smsSpend: spend,
    settings: makeSettings(),
    now: tenAmDenver,
    routing: highPriority,
  });
  return Object.fromEntries(planned.map((m) => [m.template, m.suppressedReason]));
}

Deno.test("planMessages(new_lead) with the budget spent: emails only, both texts suppressed with the reason", () => {
  assert.deepEqual(planNewLead(spent), {
    customer_confirmation_email: null,
    staff_new_lead_email: null,
    initial_confirmation_sms: "sms_budget_spent ($50.00 per day)",
    staff_on_call_sms: "sms_budget_spent ($50.00 per day)",
  });
  assert.deepEqual(planNewLead({ spentUsd: 49, budgetUsd: 50 }), {
    customer_confirmation_email: null,
    staff_new_lead_email: null,
    initial_confirmation_sms: null,
    staff_on_call_sms: null,
  });
});

Deno.test("the day's SMS spend raises sms_budget_warning at 80 % and sms_budget_spent at 100 %", async (t) => {
  const cases: [string, SmsSpend, string[]][] = [
    ["79.9 %", { spentUsd: 39.95, budgetUsd: 50 }, []],
    ["80 %", { spentUsd: 40, budgetUsd: 50 }, ["sms_budget_warning"]],
    ["99 %", { spentUsd: 49.5, budgetUsd: 50 }, ["sms_budget_warning"]],
    ["100 %", { spentUsd: 50, budgetUsd: 50 }, ["sms_budget_warning", "sms_budget_spent"]],
    ["a budget of 0", { spentUsd: 0, budgetUsd: 0 }, ["sms_budget_warning", "sms_budget_spent"]],
  ];
  for (const [name, smsSpend, conditions] of cases) {
    await t.step(name, () => {
      const health = assessHealth(snapshot({ smsSpend }));
      assert.deepEqual(health.problems.map((p) => p.condition), conditions);
      assert.equal(health.status, conditions.length > 0 ? "degraded" : "healthy");
    });
  }
  const [warning] = assessHealth(snapshot({ smsSpend: { spentUsd: 41.2, budgetUsd: 50 } }))
    .problems;
  assert.match(warning.summary, /^SMS spend today \$41\.20 of the \$50\.00 daily budget \(82 %\)/);
});

Deno.test("a budget alert is raised once, never repeated while it lasts, and cleared once", () => {
  const at80 = assessHealth(snapshot({ smsSpend: { spentUsd: 40, budgetUsd: 50 } }));
  const t0 = new Date("2026-11-25T17:00:00Z");
  const first = decideAlerts(at80, [], t0);
  assert.deepEqual(first.map((d) => [d.notice.condition, d.notice.state]), [
    ["sms_budget_warning", "raised"],
  ]);
  const states: AlertState[] = first.map((d) => d.state);
  const hoursLater = new Date(t0.getTime() + 5 * REMIND_EVERY_MS);
  assert.deepEqual(decideAlerts(at80, states, hoursLater), []);
  const nextDay = assessHealth(snapshot({ smsSpend: { spentUsd: 0, budgetUsd: 50 } }));
  assert.deepEqual(
    decideAlerts(nextDay, states, hoursLater).map((d) => [d.notice.condition, d.notice.state]),
    [["sms_budget_warning", "cleared"]],
  );
});
