import assert from "node:assert/strict";
import {
  backoffDelayMs,
  decideAfterFailure,
  DEFAULT_RETRY_POLICY,
} from "../../shared/outbox/retry_policy.ts";
import { resendFailure } from "../../shared/channels/resend_calls.ts";
import { twilioFailure } from "../../shared/channels/sms.ts";

Deno.test("decideAfterFailure() never retries Twilio's permanent errors", async (t) => {
  for (const code of [21211, 21610, 21614]) {
    await t.step(String(code), () => {
      const d = decideAfterFailure(twilioFailure({ status: 400, code, message: "no" }), 1, 6);
      assert.equal(d.action, "dead");
    });
  }
});

Deno.test("decideAfterFailure() never retries a Resend validation error (422)", () => {
  const d = decideAfterFailure(
    resendFailure({ statusCode: 422, name: "validation_error", message: "bad to" }),
    1,
    6,
  );
  assert.deepEqual(d, { action: "dead", reason: "permanent: HTTP 422 validation_error bad to" });
});

Deno.test("decideAfterFailure() retries 5xx, timeouts and network errors with exponential backoff", async (t) => {
  await t.step("5xx, attempt 1 → base delay (random 0.5 = no jitter)", () => {
    assert.deepEqual(
      decideAfterFailure(resendFailure({ statusCode: 500, message: "x" }), 1, 6, { random: 0.5 }),
      {
        action: "retry",
        delayMs: 2000,
        countsAsAttempt: true,
      },
    );
  });
  await t.step("network, attempt 3 → 4× base", () => {
    assert.deepEqual(
      decideAfterFailure(twilioFailure({ message: "reset" }), 3, 6, { random: 0.5 }),
      { action: "retry", delayMs: 8000, countsAsAttempt: true },
    );
  });
  await t.step("the last attempt → dead", () => {
    assert.equal(
      decideAfterFailure(twilioFailure({ status: 503, message: "x" }), 6, 6).action,
      "dead",
    );
  });
});

Deno.test("decideAfterFailure() honours Retry-After and does not spend an attempt when throttled", () => {
  const d = decideAfterFailure(
    resendFailure({ statusCode: 429, name: "rate_limit_exceeded", message: "slow down" }, {
      "retry-after": "3",
    }),
    6,
    6,
    { random: 0 },
  );
  assert.deepEqual(d, { action: "retry", delayMs: 3000, countsAsAttempt: false });
});

Deno.test("decideAfterFailure() counts a daily-quota 429 as an attempt", () => {
  const d = decideAfterFailure(
    resendFailure({ statusCode: 429, name: "daily_quota_exceeded", message: "quota" }),
    1,
    6,
    { random: 0.5 },
  );
  assert.equal(d.action === "retry" && d.countsAsAttempt, true);
});

Deno.test("backoffDelayMs() doubles per attempt, caps at the maximum and jitters ±50 %", () => {
  assert.equal(backoffDelayMs(1, DEFAULT_RETRY_POLICY, 0), 1000);
  assert.equal(backoffDelayMs(2, DEFAULT_RETRY_POLICY, 0.999), 5996);
  assert.equal(backoffDelayMs(30, DEFAULT_RETRY_POLICY, 0.5), DEFAULT_RETRY_POLICY.maxDelayMs);
});
