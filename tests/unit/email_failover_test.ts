import assert from "node:assert/strict";
import {
  HELD_FOR_RESEND,
  isSendGridRef,
  mayFailOver,
  resendCallVerdict,
  routeOf,
  sendGridRef,
  UNSETTLED_AT_SENDGRID,
} from "../../shared/channels/email_failover.ts";
import {
  mailSendBody,
  parseAddress,
  sendGridFailure,
} from "../../shared/channels/sendgrid_calls.ts";
import { outcomeOf } from "../../shared/outbox/outcomes.ts";
import type { SendResult } from "../../shared/outbox/channel.ts";
import { makeOutboxRow } from "./_fixtures.ts";
import { assessHealth } from "../../shared/admin/health.ts";
import { alertChannel } from "../../shared/admin/alerts.ts";
import { calm } from "../support/health.ts";

const failed = (status: number | undefined, network = false): SendResult => ({
  ok: false,
  failure: { status, network, message: "x", transient: true, throttled: status === 429 },
});
const accepted: SendResult = { ok: true, providerMessageId: "re_1" };

Deno.test("routeOf(): where an email goes, by the provider its call is in doubt at and the circuit", () => {
  const cases: Array<[string, string | null, boolean, string]> = [
    ["free, circuit closed → Resend", null, true, "resend"],
    ["free, circuit open → SendGrid", null, false, "sendgrid"],
    ["in doubt at Resend, closed → Resend again, under its key", "batch-abc", true, "resend"],
    [
      "in doubt at Resend (single), closed → Resend",
      "lead-1:customer_confirmation_email",
      true,
      "resend",
    ],
    ["in doubt at Resend, open → held, never SendGrid", "batch-abc", false, "hold"],
    ["in doubt at SendGrid, closed → not sent again", sendGridRef("k"), true, "unsettled"],
    ["in doubt at SendGrid, open → not sent again", sendGridRef("k"), false, "unsettled"],
  ];
  for (const [name, ref, allowed, route] of cases) {
    assert.equal(routeOf(ref, allowed), route, name);
  }
  assert.ok(isSendGridRef(sendGridRef("lead-1:customer_confirmation_email")));
  assert.ok(!isSendGridRef("batch-abc"));
});

Deno.test("resendCallVerdict(): 5xx and no answer fail the circuit; any other answer, 429 and 4xx included, shows Resend is up", () => {
  const cases: Array<[string, SendResult[], string | null]> = [
    ["accepted", [accepted, accepted], "answered"],
    ["500", [failed(500)], "failed"],
    ["503 for a batch", [failed(503), failed(503)], "failed"],
    ["timeout / dropped connection", [failed(undefined, true)], "failed"],
    ["429 rate limited", [failed(429)], "answered"],
    ["422 validation", [failed(422)], "answered"],
    ["the row was lost before the call: no call", [{
      ok: false,
      failure: { message: "lease", transient: true, throttled: false },
    }], null],
  ];
  for (const [name, results, verdict] of cases) {
    assert.equal(resendCallVerdict(results), verdict, name);
  }
});

Deno.test("mayFailOver(): only a refusal (5xx) may go to SendGrid, never a call without an answer", () => {
  assert.equal(mayFailOver(failed(500)), true);
  assert.equal(mayFailOver(failed(502)), true);
  assert.equal(mayFailOver(failed(undefined, true)), false, "lost answer: may have been accepted");
  assert.equal(mayFailOver(failed(429)), false);
  assert.equal(mayFailOver(failed(422)), false);
  assert.equal(mayFailOver(accepted), false);
});

Deno.test("an email held for Resend spends no attempt; one in doubt at SendGrid becomes a dead letter saying why", () => {
  const row = makeOutboxRow({ attempts: 5, max_attempts: 6, send_ref: "batch-abc" });
  const held = outcomeOf(
    { row, result: { ok: false, failure: HELD_FOR_RESEND } },
    "Resend",
    undefined,
  );
  assert.equal(held.kind, "retry");
  if (held.kind === "retry") {
    assert.equal(held.countsAsAttempt, false);
    assert.ok(held.delayMs >= 5000 && held.delayMs <= 6000, `${held.delayMs} ms`);
    assert.equal(held.provider, undefined, "no provider was called");
  }
  const unsettled = outcomeOf(
    { row, result: { ok: false, failure: UNSETTLED_AT_SENDGRID } },
    "Resend",
    undefined,
  );
  assert.equal(unsettled.kind, "dead");
  if (unsettled.kind === "dead") assert.match(unsettled.reason, /in doubt at SendGrid/);
});

Deno.test("outcomeOf() records who took a message when the sender has two providers", () => {
  const row = makeOutboxRow();
  const sent = outcomeOf(
    { row, result: { ok: true, providerMessageId: "sg1", provider: "SendGrid" } },
    "Resend",
    undefined,
  );
  assert.equal(sent.kind === "sent" && sent.provider, "SendGrid");
  const byResend = outcomeOf({ row, result: accepted }, "Resend", undefined);
  assert.equal(byResend.kind === "sent" && byResend.provider, "Resend");
});

Deno.test("parseAddress() reads a From header as SendGrid's email object", () => {
  assert.deepEqual(parseAddress("Pink Auto Glass <noreply@pinkautoglass.com>"), {
    email: "noreply@pinkautoglass.com",
    name: "Pink Auto Glass",
  });
  assert.deepEqual(parseAddress('"Pink" <a@b.co>'), { email: "a@b.co", name: "Pink" });
  assert.deepEqual(parseAddress("a@b.co"), { email: "a@b.co" });
});

Deno.test("mailSendBody(): the same words, headers and attachments as the Resend call, the outbox key in custom_args", () => {
  const body = mailSendBody({
    key: "lead-1:staff_new_lead_email",
    from: "ignored",
    to: "ava@pinkautoglass.com",
    cc: ["admin@pinkautoglass.com", "AVA@pinkautoglass.com"],
    subject: "New lead",
    html: "<p>Hi</p>",
    text: "Hi",
    replyTo: "hello@pinkautoglass.com",
    headers: { "X-Entity-Ref-ID": "lead-1:staff_new_lead_email" },
    attachments: [{ filename: "invite.ics", content: "QUJD", contentType: "text/calendar" }],
  }, "Pink Auto Glass <noreply@pinkautoglass.com>");
  assert.deepEqual(body.personalizations, [{
    to: [{ email: "ava@pinkautoglass.com" }],
    cc: [{ email: "admin@pinkautoglass.com" }],
  }], "a copy to the recipient is dropped: SendGrid refuses duplicates");
  assert.deepEqual(body.from, { email: "noreply@pinkautoglass.com", name: "Pink Auto Glass" });
  assert.deepEqual(body.reply_to, { email: "hello@pinkautoglass.com" });
  assert.deepEqual(body.content.map((c) => c.type), ["text/plain", "text/html"]);
  assert.deepEqual(body.headers, { "X-Entity-Ref-ID": "lead-1:staff_new_lead_email" });
  assert.deepEqual(body.attachments, [{
    content: "QUJD",
    filename: "invite.ics",
    type: "text/calendar",
    disposition: "attachment",
  }]);
  assert.deepEqual(body.custom_args, { outbox_key: "lead-1:staff_new_lead_email" });
});

Deno.test("sendGridFailure() classifies SendGrid's answers", async (t) => {
  const now = new Date("2026-12-07T12:00:00Z");
  const none = new Headers();
  await t.step("400 on the recipient: the address is refused, not retried", () => {
    const f = sendGridFailure(
      400,
      {
        errors: [{
          message: "Does not contain a valid address.",
          field: "personalizations.0.to.0.email",
        }],
      },
      none,
      now,
    );
    assert.equal(f.transient, false);
    assert.equal(f.recipientRefused, "invalid_address");
    assert.equal(f.provider, "SendGrid");
  });
  await t.step("401 / 403 / 413: permanent", () => {
    for (const status of [401, 403, 413]) {
      assert.equal(sendGridFailure(status, null, none, now).transient, false, String(status));
    }
  });
  await t.step("429: throttled until X-RateLimit-Reset", () => {
    const reset = String(now.getTime() / 1000 + 3);
    const f = sendGridFailure(
      429,
      { errors: [{ message: "too many requests" }] },
      new Headers({
        "x-ratelimit-reset": reset,
      }),
      now,
    );
    assert.equal(f.throttled, true);
    assert.equal(f.retryAfterSeconds, 3);
  });
  await t.step("5xx: transient", () => {
    const f = sendGridFailure(503, null, none, now);
    assert.equal(f.transient, true);
    assert.equal(f.message, "SendGrid answered 503");
  });
});

Deno.test("assessHealth(): an open Resend circuit is one degraded condition, resend_failover, and its alerts still go by email", () => {
  const opened = new Date("2026-12-07T12:00:00Z");
  const failingOver = {
    ...calm,
    providers: calm.providers.map((p) =>
      p.provider === "resend"
        ? { ...p, failures_in_a_row: 7, circuit: "open", circuit_opened_at: opened }
        : { ...p, circuit: "closed" }
    ),
  };
  const assessed = assessHealth(failingOver);
  assert.deepEqual(assessed.problems.map((p) => p.condition), ["resend_failover"]);
  assert.equal(assessed.status, "degraded");
  assert.match(assessed.problems[0].summary, /email goes through SendGrid since 2026-12-07T12:00/);
  assert.equal(alertChannel(assessed), "email");
  const halfOpen = assessHealth({
    ...failingOver,
    providers: failingOver.providers.map((p) =>
      p.provider === "resend" ? { ...p, circuit: "half_open" } : p
    ),
  });
  assert.deepEqual(halfOpen.problems.map((p) => p.condition), ["resend_failover"]);
  const closed = assessHealth({
    ...calm,
    providers: calm.providers.map((p) =>
      p.provider === "resend" ? { ...p, failures_in_a_row: 7, circuit: "closed" } : p
    ),
  });
  assert.deepEqual(closed.problems.map((p) => p.condition), ["resend_failures"]);
});
