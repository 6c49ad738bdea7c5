/** Forms' CAPTCHA as a decision: which rows a lead's verdict suppresses. */
import assert from "node:assert/strict";
import { type CaptchaVerdict, textOnlyVerified } from "../../shared/notify_lead/captcha.ts";
import type { NewOutboxRow } from "../../shared/outbox/store.ts";

const row = (template: string, channel: NewOutboxRow["channel"]): NewOutboxRow => ({
  key: `lead-1:${template}`,
  lead_id: "lead-1",
  channel,
  template,
  recipient: channel === "sms" ? "+17205550142" : "jane@example.com",
  status: "pending",
  status_reason: null,
  rank: 1,
  next_attempt_at: null,
});

const rows = [
  row("initial_confirmation_sms", "sms"),
  row("customer_confirmation_email", "email"),
  row("staff_new_lead_email", "email"),
  row("staff_on_call_sms", "sms"),
];

Deno.test("textOnlyVerified() suppresses only customer texts, and only without a passed token", async (t) => {
  const cases: [string, CaptchaVerdict | undefined, string | null][] = [
    ["no CAPTCHA configured (no verdict)", undefined, null],
    ["passed", "passed", null],
    ["failed", "failed", "captcha_failed"],
    ["missing", "missing", "captcha_missing"],
    ["Turnstile could not be asked", "unverified", "captcha_unverified"],
  ];
  for (const [name, verdict, reason] of cases) {
    await t.step(name, () => {
      const out = textOnlyVerified(rows, verdict ? new Map([["lead-1", verdict]]) : new Map());
      assert.equal(out[0].status_reason, reason);
      assert.equal(out[0].status, reason ? "suppressed" : "pending");
      assert.deepEqual(out.slice(1), rows.slice(1), "emails and staff texts go as planned");
    });
  }
});
