import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync, sign } from "node:crypto";
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifySendGridSignature,
} from "../../shared/sendgrid_events/signature.ts";
import { messageIdOf, sendGridEffect, sendGridEvent } from "../../shared/sendgrid_events/apply.ts";

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    publicKey: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    sign: (payload: string) => sign("sha256", Buffer.from(payload), privateKey).toString("base64"),
  };
}

const now = new Date("2026-12-07T12:00:00Z");
const stamp = String(now.getTime() / 1000);
const body = '[{"event":"delivered","sg_event_id":"e1","email":"jane@example.com"}]';

function headers(signature: string | null, timestamp: string | null = stamp): Headers {
  const h = new Headers();
  if (signature !== null) h.set(SIGNATURE_HEADER, signature);
  if (timestamp !== null) h.set(TIMESTAMP_HEADER, timestamp);
  return h;
}

Deno.test("verifySendGridSignature() accepts SendGrid's ECDSA signature over timestamp + body, and nothing else", async (t) => {
  const sendgrid = keyPair();
  const other = keyPair();
  const good = sendgrid.sign(stamp + body);
  const cases: Array<[string, Headers, string, boolean, RegExp?]> = [
    ["signed by SendGrid", headers(good), body, true],
    ["a tampered body", headers(good), body.replace("delivered", "bounce"), false, /No matching/],
    ["another timestamp", headers(good, String(Number(stamp) + 1)), body, false, /No matching/],
    ["signed by another key", headers(other.sign(stamp + body)), body, false, /No matching/],
    ["no signature", headers(null), body, false, /Missing/],
    ["no timestamp", headers(good, null), body, false, /Missing/],
    ["a signature that is not DER", headers(btoa("garbage")), body, false, /No matching/],
    ["a timestamp that is not a number", headers(good, "yesterday"), body, false, /Unix time/],
  ];
  for (const [name, h, b, ok, reason] of cases) {
    await t.step(name, () => {
      const check = verifySendGridSignature(sendgrid.publicKey, h, b, now);
      assert.equal(check.ok, ok);
      if (!check.ok && reason) assert.match(check.reason, reason);
    });
  }
  await t.step("stale: more than 10 minutes from our clock", () => {
    const old = String(Number(stamp) - 601);
    const check = verifySendGridSignature(
      sendgrid.publicKey,
      headers(sendgrid.sign(old + body), old),
      body,
      now,
    );
    assert.equal(check.ok, false);
  });
  await t.step("while the key is replaced, the previous one is accepted too", () => {
    const check = verifySendGridSignature(
      { current: other.publicKey, previous: sendgrid.publicKey },
      headers(good),
      body,
      now,
    );
    assert.equal(check.ok, true);
  });
});

Deno.test("sendGridEffect(): SendGrid's events mean what Resend's do", () => {
  const ev = (fields: Record<string, unknown>) =>
    sendGridEvent.parse({ sg_event_id: "e", ...fields });
  const cases: Array<
    [string, Record<string, unknown>, Partial<ReturnType<typeof sendGridEffect>>]
  > = [
    ["delivered", { event: "delivered" }, { activity: "email_delivered", status: "delivered" }],
    ["hard bounce suppresses", { event: "bounce", type: "bounce", status: "5.1.1" }, {
      activity: "email_bounced",
      status: "bounced",
      suppress: "email_bounced",
    }],
    ["blocked is reported, not suppressed", { event: "bounce", type: "blocked" }, {
      activity: "email_bounced",
      suppress: null,
    }],
    ["dropped", { event: "dropped", reason: "Bounced Address" }, {
      status: "failed",
      activity: null,
    }],
    ["spam report suppresses", { event: "spamreport" }, {
      activity: "email_complained",
      status: "complained",
      suppress: "email_complained",
    }],
    ["deferred", { event: "deferred" }, { status: "delivery_delayed", activity: null }],
    ["open", { event: "open" }, { activity: "email_opened", status: null }],
    ["processed changes nothing", { event: "processed" }, { activity: null, status: null }],
    ["click changes nothing", { event: "click" }, { activity: null, status: null }],
  ];
  for (const [name, fields, expected] of cases) {
    const effect = sendGridEffect(ev(fields));
    for (const [k, v] of Object.entries(expected)) {
      assert.equal(effect[k as keyof typeof effect], v, `${name}: ${k}`);
    }
  }
  const reason = sendGridEffect(
    ev({ event: "bounce", type: "bounce", reason: "550 jane@example.com does not exist" }),
  ).detail;
  assert.doesNotMatch(reason ?? "", /jane@example\.com/, "an address in the reason is masked");
  assert.equal(messageIdOf(ev({ event: "x", sg_message_id: "abc.filterdrecv-1" })), "abc");
});
