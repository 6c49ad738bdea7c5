import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { verifySignature } from "../../shared/resend_events/signature.ts";
import { eventEffect, movesForward, resendEvent } from "../../shared/resend_events/apply.ts";

// The Standard Webhooks specification's published test vector.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: "1614265330",
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const vectorTime = new Date(1614265330 * 1000);

function svixHeaders(h: { id?: string; timestamp?: string; signature?: string }): Headers {
  const headers = new Headers();
  if (h.id !== undefined) headers.set("svix-id", h.id);
  if (h.timestamp !== undefined) headers.set("svix-timestamp", h.timestamp);
  if (h.signature !== undefined) headers.set("svix-signature", h.signature);
  return headers;
}

Deno.test("the Standard Webhooks test vector verifies", () => {
  const check = verifySignature(VECTOR.secret, svixHeaders(VECTOR), VECTOR.body, vectorTime);
  assert.deepEqual(check, { ok: true, id: VECTOR.id, timestamp: vectorTime });
  // The same under the spec's own header names.
  const standard = new Headers({
    "webhook-id": VECTOR.id,
    "webhook-timestamp": VECTOR.timestamp,
    "webhook-signature": VECTOR.signature,
  });
  assert.equal(verifySignature(VECTOR.secret, standard, VECTOR.body, vectorTime).ok, true);
});

Deno.test("signatures that must be refused are refused, with the reason", async (t) => {
  const cases: [string, Parameters<typeof svixHeaders>[0], string, Date, RegExp][] = [
    ["no headers", {}, VECTOR.body, vectorTime, /Missing/],
    ["no signature", { ...VECTOR, signature: undefined }, VECTOR.body, vectorTime, /Missing/],
    ["a tampered body", VECTOR, '{"test": 2432232315}', vectorTime, /No matching signature/],
    ["another id", { ...VECTOR, id: "msg_other" }, VECTOR.body, vectorTime, /No matching/],
    [
      "another timestamp",
      { ...VECTOR, timestamp: "1614265331" },
      VECTOR.body,
      new Date(1614265331_000),
      /No matching/,
    ],
    [
      "a signature made with another secret",
      {
        ...VECTOR,
        signature: new Webhook("whsec_" + btoa("another secret, 32 bytes long....")).sign(
          VECTOR.id,
          vectorTime,
          VECTOR.body,
        ),
      },
      VECTOR.body,
      vectorTime,
      /No matching/,
    ],
    [
      "only an unknown version",
      { ...VECTOR, signature: VECTOR.signature.replace("v1,", "v2,") },
      VECTOR.body,
      vectorTime,
      /No matching/,
    ],
    [
      "5 minutes and 1 second old (stale or replayed)",
      VECTOR,
      VECTOR.body,
      new Date(vectorTime.getTime() + 301_000),
      /more than 5 minutes/,
    ],
    [
      "5 minutes and 1 second in the future",
      VECTOR,
      VECTOR.body,
      new Date(vectorTime.getTime() - 301_000),
      /more than 5 minutes/,
    ],
    [
      "a timestamp that is not a number",
      { ...VECTOR, timestamp: "soon" },
      VECTOR.body,
      vectorTime,
      /Unix time/,
    ],
  ];
  for (const [name, headers, body, now, reason] of cases) {
    await t.step(name, () => {
      const check = verifySignature(VECTOR.secret, svixHeaders(headers), body, now);
      assert.equal(check.ok, false);
      if (!check.ok) assert.match(check.reason, reason);
    });
  }
  await t.step("one good signature among several (a secret being rotated) is enough", () => {
    const headers = svixHeaders({ ...VECTOR, signature: `v1,bm9wZQ== ${VECTOR.signature}` });
    assert.equal(verifySignature(VECTOR.secret, headers, VECTOR.body, vectorTime).ok, true);
  });
  await t.step("within 5 minutes either side is accepted", () => {
    for (const skew of [-300_000, 300_000]) {
      const now = new Date(vectorTime.getTime() + skew);
      assert.equal(verifySignature(VECTOR.secret, svixHeaders(VECTOR), VECTOR.body, now).ok, true);
    }
  });
});

Deno.test("what each Resend event type does to its email", async (t) => {
  const event = (type: string, bounce?: Record<string, string>) =>
    resendEvent.parse({ type, data: { email_id: "e1", ...(bounce ? { bounce } : {}) } });
  const cases: [string, ReturnType<typeof event>, string | null, string | null, string | null][] = [
    ["delivered", event("email.delivered"), "email_delivered", "delivered", null],
    [
      "a hard bounce",
      event("email.bounced", { type: "Permanent", subType: "General" }),
      "email_bounced",
      "bounced",
      "email_bounced",
    ],
    [
      "a bounce without a type is hard",
      event("email.bounced"),
      "email_bounced",
      "bounced",
      "email_bounced",
    ],
    [
      "a transient bounce is not suppressed",
      event("email.bounced", { type: "Transient" }),
      "email_bounced",
      "bounced",
      null,
    ],
    [
      "a complaint",
      event("email.complained"),
      "email_complained",
      "complained",
      "email_complained",
    ],
    ["an open", event("email.opened"), "email_opened", null, null],
    ["sent (we logged the acceptance)", event("email.sent"), null, null, null],
    ["delayed", event("email.delivery_delayed"), null, "delivery_delayed", null],
    ["a type Resend adds later", event("email.scheduled"), null, null, null],
  ];
  for (const [name, given, activity, status, suppress] of cases) {
    await t.step(name, () => {
      const effect = eventEffect(given);
      assert.deepEqual([effect.activity, effect.status, effect.suppress], [
        activity,
        status,
        suppress,
      ]);
    });
  }
});

Deno.test("a delivery status only moves forward", async (t) => {
  const cases: [string | null, string, boolean][] = [
    [null, "delivered", true],
    ["delivery_delayed", "delivered", true],
    ["delivered", "complained", true],
    ["delivered", "delivery_delayed", false],
    ["complained", "delivered", false],
    ["bounced", "delivered", false],
    ["delivered", "delivered", false],
  ];
  for (const [current, next, moves] of cases) {
    await t.step(`${current} → ${next}`, () => assert.equal(movesForward(current, next), moves));
  }
});
