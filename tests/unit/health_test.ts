import assert from "node:assert/strict";
import {
  assessHealth,
  type HealthSnapshot,
  type HealthStatus,
  THRESHOLDS,
} from "../../shared/admin/health.ts";
import { calm, snapshot } from "../support/health.ts";
import {
  alertChannel,
  alertRows,
  type AlertState,
  decideAlerts,
  REMIND_EVERY_MS,
} from "../../shared/admin/alerts.ts";

Deno.test("health flips at each of the plan's thresholds, and not before", async (t) => {
  const cases: [string, HealthSnapshot, HealthStatus, string[]][] = [
    ["nothing wrong", calm, "healthy", []],
    ["nothing sent yet (no rate)", snapshot({ rates: { email: null, sms: null } }), "healthy", []],
    ["no dead letter", snapshot({ outbox: { dead_letters: 0 } }), "healthy", []],
    ["one dead letter", snapshot({ outbox: { dead_letters: 1 } }), "failing", ["dead_letters"]],
    ["queue of exactly 100", snapshot({ outbox: { queue_depth: 100 } }), "healthy", []],
    ["queue of 101", snapshot({ outbox: { queue_depth: 101 } }), "failing", ["backlog"]],
    [
      "a message waiting exactly an hour",
      snapshot({ outbox: { oldest_waiting_seconds: 3600 } }),
      "healthy",
      [],
    ],
    [
      "a message waiting an hour and a second",
      snapshot({ outbox: { oldest_waiting_seconds: 3601 } }),
      "failing",
      ["stale_message"],
    ],
    ["email at 95 %", snapshot({ rates: { email: 95 } }), "healthy", []],
    ["email at 94.99 %", snapshot({ rates: { email: 94.99 } }), "degraded", ["email_success_rate"]],
    ["SMS at 98 %", snapshot({ rates: { sms: 98 } }), "healthy", []],
    ["SMS at 97.5 %", snapshot({ rates: { sms: 97.5 } }), "degraded", ["sms_success_rate"]],
    ["webhooks have no bar", snapshot({ rates: { webhook: 10 } }), "healthy", []],
    [
      "a low rate over 9 messages is not judged",
      snapshot({ rates: { email: 50 }, settled: { email: 9 } }),
      "healthy",
      [],
    ],
    [
      "a low rate over 10 messages is",
      snapshot({ rates: { email: 90 }, settled: { email: 10 } }),
      "degraded",
      ["email_success_rate"],
    ],
    ["Resend failed 4 in a row", snapshot({ failures: { resend: 4 } }), "healthy", []],
    [
      "Resend failed 5 in a row",
      snapshot({ failures: { resend: 5 } }),
      "failing",
      ["resend_failures"],
    ],
    [
      "Twilio failed 7 in a row",
      snapshot({ failures: { twilio: 7 } }),
      "failing",
      ["twilio_failures"],
    ],
    [
      "a degraded rate and a dead letter: failing wins",
      snapshot({ rates: { sms: 50 }, outbox: { dead_letters: 2 } }),
      "failing",
      ["dead_letters", "sms_success_rate"],
    ],
  ];
  for (const [name, given, status, conditions] of cases) {
    await t.step(name, () => {
      const health = assessHealth(given);
      assert.equal(health.status, status);
      assert.deepEqual(health.problems.map((p) => p.condition), conditions);
      for (const p of health.problems) {
        assert.doesNotMatch(p.summary, /@|\+1\d{10}/, "no address or phone in a summary");
      }
    });
  }
  assert.equal(THRESHOLDS.queueDepth, 100);
});

const t0 = new Date("2026-12-02T15:00:00Z");
const after = (ms: number) => new Date(t0.getTime() + ms);
const deadLetter = assessHealth(snapshot({ outbox: { dead_letters: 1 } }));
const healthy = assessHealth(calm);

/** Runs the decisions forward: each step's states are what the previous step left. */
function run(steps: [Date, ReturnType<typeof assessHealth>][]) {
  let states: AlertState[] = [];
  return steps.map(([now, assessment]) => {
    const decisions = decideAlerts(assessment, states, now);
    const next = new Map(states.map((s) => [s.condition, s]));
    for (const d of decisions) next.set(d.state.condition, d.state);
    states = [...next.values()];
    return decisions.map((d) => `${d.notice.condition}:${d.notice.state}`);
  });
}

Deno.test("an alert is raised once, repeated once an hour while it lasts, and cleared once", () => {
  assert.deepEqual(
    run([
      [t0, deadLetter],
      [after(60_000), deadLetter],
      [after(REMIND_EVERY_MS - 1), deadLetter],
      [after(REMIND_EVERY_MS), deadLetter],
      [after(REMIND_EVERY_MS + 60_000), deadLetter],
      [after(REMIND_EVERY_MS + 120_000), healthy],
      [after(REMIND_EVERY_MS + 180_000), healthy],
      [after(REMIND_EVERY_MS + 240_000), deadLetter],
    ]),
    [
      ["dead_letters:raised"],
      [],
      [],
      ["dead_letters:ongoing"],
      [],
      ["dead_letters:cleared"],
      [],
      ["dead_letters:raised"],
    ],
  );
});

Deno.test("each condition is alerted and cleared on its own", () => {
  const both = assessHealth(snapshot({ outbox: { dead_letters: 1, queue_depth: 500 } }));
  const backlogOnly = assessHealth(snapshot({ outbox: { queue_depth: 500 } }));
  assert.deepEqual(run([[t0, both], [after(60_000), backlogOnly]]), [
    ["dead_letters:raised", "backlog:raised"],
    ["dead_letters:cleared"],
  ]);
});

Deno.test("alert keys name the condition, its episode and the occurrence", () => {
  const [raised] = decideAlerts(deadLetter, [], t0);
  assert.equal(raised.key, `admin_alert:dead_letters:${t0.toISOString()}:raised`);
  const [again] = decideAlerts(deadLetter, [raised.state], after(REMIND_EVERY_MS));
  assert.equal(again.key, `admin_alert:dead_letters:${t0.toISOString()}:2`);
  const [cleared] = decideAlerts(healthy, [again.state], after(REMIND_EVERY_MS + 1));
  assert.equal(cleared.key, `admin_alert:dead_letters:${t0.toISOString()}:cleared`);
  assert.equal(cleared.notice.since, t0.toISOString());
});

Deno.test("alerts go by text when email is the failing channel, by email otherwise", async (t) => {
  const setup = { adminEmail: "admin@pinkautoglass.com", adminPhone: "+17205550123" };
  const cases: [
    string,
    ReturnType<typeof assessHealth>,
    typeof setup | { adminEmail: string },
    string,
  ][] = [
    ["dead letters", deadLetter, setup, "admin_alert_email:admin@pinkautoglass.com"],
    [
      "email success rate low",
      assessHealth(snapshot({ rates: { email: 50 } })),
      setup,
      "admin_alert_sms:+17205550123",
    ],
    [
      "Resend failing",
      assessHealth(snapshot({ failures: { resend: 5 } })),
      setup,
      "admin_alert_sms:+17205550123",
    ],
    [
      "Twilio failing",
      assessHealth(snapshot({ failures: { twilio: 5 } })),
      setup,
      "admin_alert_email:admin@pinkautoglass.com",
    ],
    [
      "email failing, no phone to text: email is still tried",
      assessHealth(snapshot({ failures: { resend: 5 } })),
      { adminEmail: "admin@pinkautoglass.com" },
      "admin_alert_email:admin@pinkautoglass.com",
    ],
  ];
  for (const [name, assessment, given, expected] of cases) {
    await t.step(name, () => {
      const rows = alertRows(decideAlerts(assessment, [], t0), assessment, given);
      assert.ok(rows.length > 0);
      for (const row of rows) {
        assert.equal(`${row.template}:${row.recipient}`, expected);
        assert.equal(row.lead_id, null);
        assert.equal(row.channel, row.template === "admin_alert_sms" ? "sms" : "email");
      }
    });
  }
  assert.equal(alertChannel(healthy), "email");
});
