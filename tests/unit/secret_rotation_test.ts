/**
 * Rotating a secret without refusing a request: every verifier accepts the current value and,
 * while `<NAME>_PREVIOUS` is set, the one it replaces; without it the old value is refused like
 * any other. Table-driven per secret: current accepted, previous accepted when set, previous
 * refused when unset, garbage refused. The same through HTTP: tests/e2e/secret_rotation_test.ts.
 */
import assert from "node:assert/strict";
import twilio from "twilio";
import { Webhook } from "standardwebhooks";
import {
  acceptedSecrets,
  matchesSecret,
  type RotatingSecret,
} from "../../shared/platform/rotating_secret.ts";
import { refuseWithoutSecret } from "../../shared/platform/http.ts";
import { signActionToken, verifyActionToken } from "../../shared/leads/action_links.ts";
import { verifySignature } from "../../shared/resend_events/signature.ts";
import { twilioSignatureValid } from "../../shared/twilio_inbound/signature.ts";
import {
  ConfigError,
  leadActionConfigSchema,
  notifyLeadConfigSchema,
  parseConfig,
  resendEventsConfigSchema,
} from "../../shared/platform/config.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

/** The four cases every verifier must get right, for a secret's old and new values. */
function rotationCases(
  old: string,
  fresh: string,
  garbage: string,
): Array<[string, RotatingSecret, string, boolean]> {
  return [
    ["the current value, mid-rotation", { current: fresh, previous: old }, fresh, true],
    ["the previous value while _PREVIOUS is set", { current: fresh, previous: old }, old, true],
    ["the current value, after the rotation", { current: fresh }, fresh, true],
    ["the previous value once _PREVIOUS is unset", { current: fresh }, old, false],
    ["the previous value once _PREVIOUS is empty", { current: fresh, previous: "" }, old, false],
    ["garbage, mid-rotation", { current: fresh, previous: old }, garbage, false],
    ["garbage, after the rotation", { current: fresh }, garbage, false],
  ];
}

const OLD_WEBHOOK = "old-notify-webhook-secret-0123456789";
const NEW_WEBHOOK = "new-notify-webhook-secret-9876543210";

Deno.test("acceptedSecrets() lists the current value first and drops an unset, empty or repeated previous", () => {
  assert.deepEqual(acceptedSecrets("only"), ["only"]);
  assert.deepEqual(acceptedSecrets({ current: "new", previous: "old" }), ["new", "old"]);
  assert.deepEqual(acceptedSecrets({ current: "new" }), ["new"]);
  assert.deepEqual(acceptedSecrets({ current: "new", previous: "" }), ["new"]);
  assert.deepEqual(acceptedSecrets({ current: "new", previous: "new" }), ["new"]);
});

Deno.test("NOTIFY_WEBHOOK_SECRET: x-webhook-secret is checked against the current and previous values", async (t) => {
  for (
    const [name, secret, presented, accepted] of rotationCases(
      OLD_WEBHOOK,
      NEW_WEBHOOK,
      "garbage-webhook-secret",
    )
  ) {
    await t.step(name, async () => {
      assert.equal(matchesSecret(presented, secret), accepted);
      const req = new Request("http://localhost/notify-lead", {
        method: "POST",
        headers: { "x-webhook-secret": presented },
      });
      const refused = refuseWithoutSecret(req, secret);
      assert.equal(refused === null, accepted);
      if (refused) {
        assert.equal(refused.status, 401);
        const body = await refused.text();
        assert.ok(!body.includes(presented) && !body.includes(NEW_WEBHOOK), "no secret shown");
      }
    });
  }
  await t.step("a missing header, and a prefix of the secret", () => {
    assert.equal(matchesSecret(null, { current: NEW_WEBHOOK, previous: OLD_WEBHOOK }), false);
    assert.equal(matchesSecret(NEW_WEBHOOK.slice(0, 10), { current: NEW_WEBHOOK }), false);
  });
});

const OLD_LINKS = "old-lead-action-secret-0123456789abcdef";
const NEW_LINKS = "new-lead-action-secret-fedcba9876543210";

Deno.test("LEAD_ACTION_SECRET: a link signed with the previous key works until it expires while _PREVIOUS is set", async (t) => {
  const now = new Date("2026-12-07T12:00:00Z");
  const claims = {
    id: "a1b2c3d4-0000-4000-8000-000000000001",
    leadId: "00000000-0000-4000-8000-000000000001",
    staffId: null,
    action: "lead_claimed" as const,
    expiresAt: new Date("2026-12-09T12:00:00Z"),
  };
  for (
    const [name, secret, signedWith, accepted] of rotationCases(
      OLD_LINKS,
      NEW_LINKS,
      "garbage-key-that-signed-nothing-of-ours",
    )
  ) {
    await t.step(name, async () => {
      const token = await signActionToken(claims, signedWith);
      assert.deepEqual(
        await verifyActionToken(token, secret, now),
        accepted ? { ok: true, claims } : { ok: false, reason: "forged" },
      );
    });
  }
  await t.step("an old link past its expiry is expired, not revived by _PREVIOUS", async () => {
    const token = await signActionToken(claims, OLD_LINKS);
    assert.deepEqual(
      await verifyActionToken(token, { current: NEW_LINKS, previous: OLD_LINKS }, claims.expiresAt),
      { ok: false, reason: "expired" },
    );
  });
});

Deno.test("LEAD_ACTION_SECRET: new links are signed with the current key only, whatever _PREVIOUS holds", () => {
  const cfg = parseConfig(notifyLeadConfigSchema, {
    ...HOSTED,
    LEAD_ACTION_SECRET: NEW_LINKS,
    LEAD_ACTION_SECRET_PREVIOUS: OLD_LINKS,
  });
  assert.equal(messageSetup(cfg).actionLinks?.secret, NEW_LINKS);
});

// Standard Webhooks secrets: whsec_ + base64 of the key.
const OLD_RESEND = `whsec_${btoa("old-resend-endpoint-signing-key")}`;
const NEW_RESEND = `whsec_${btoa("new-resend-endpoint-signing-key")}`;
const GARBAGE_RESEND = `whsec_${btoa("a-key-resend-never-gave-us-000")}`;

function svixSigned(secrets: string[], body: string, now: Date): Headers {
  const id = "msg_2a6kCfQX7zWd0yYw1Rt9";
  return new Headers({
    "svix-id": id,
    "svix-timestamp": String(Math.floor(now.getTime() / 1000)),
    // During Svix's own rotation one header carries a signature per key, space-separated.
    "svix-signature": secrets.map((s) => new Webhook(s).sign(id, now, body)).join(" "),
  });
}

Deno.test("RESEND_WEBHOOK_SECRET: Svix signatures are checked against the current and previous secrets", async (t) => {
  const now = new Date("2026-12-07T12:00:00Z");
  const body = '{"type":"email.delivered","data":{"email_id":"e1"}}';
  for (
    const [name, secret, signedWith, accepted] of rotationCases(
      OLD_RESEND,
      NEW_RESEND,
      GARBAGE_RESEND,
    )
  ) {
    await t.step(name, () => {
      const check = verifySignature(secret, svixSigned([signedWith], body, now), body, now);
      assert.equal(check.ok, accepted);
    });
  }
  await t.step("Svix's rotation header (old and new signatures) passes either way round", () => {
    const both = svixSigned([NEW_RESEND, OLD_RESEND], body, now);
    assert.equal(verifySignature(OLD_RESEND, both, body, now).ok, true, "before our change");
    assert.equal(verifySignature(NEW_RESEND, both, body, now).ok, true, "after our change");
    assert.equal(
      verifySignature({ current: NEW_RESEND, previous: OLD_RESEND }, both, body, now).ok,
      true,
    );
    assert.equal(verifySignature(GARBAGE_RESEND, both, body, now).ok, false);
  });
  await t.step("the previous secret does not excuse a changed body", () => {
    const headers = svixSigned([OLD_RESEND], body, now);
    const check = verifySignature(
      { current: NEW_RESEND, previous: OLD_RESEND },
      headers,
      "{}",
      now,
    );
    assert.equal(check.ok, false);
  });
});

const OLD_TWILIO = "0123456789abcdef0123456789abcdef";
const NEW_TWILIO = "fedcba9876543210fedcba9876543210";

Deno.test("TWILIO_AUTH_TOKEN: X-Twilio-Signature is checked against the current and previous tokens", async (t) => {
  const url = "https://abc.supabase.co/functions/v1/twilio-inbound";
  const params = { MessageSid: `SM${"0".repeat(32)}`, MessageStatus: "delivered" };
  for (
    const [name, token, signedWith, accepted] of rotationCases(
      OLD_TWILIO,
      NEW_TWILIO,
      "99999999999999999999999999999999",
    )
  ) {
    await t.step(name, () => {
      const signature = twilio.getExpectedTwilioSignature(signedWith, url, params);
      assert.equal(twilioSignatureValid(token, signature, { url, params }), accepted);
    });
  }
  await t.step("the previous token does not excuse changed parameters", () => {
    const signature = twilio.getExpectedTwilioSignature(OLD_TWILIO, url, params);
    const changed = { ...params, MessageStatus: "failed" };
    assert.equal(
      twilioSignatureValid({ current: NEW_TWILIO, previous: OLD_TWILIO }, signature, {
        url,
        params: changed,
      }),
      false,
    );
  });
});

const HOSTED = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_DB_URL: "postgresql://postgres:pw@db.abc.supabase.co:5432/postgres",
  SUPABASE_SERVICE_ROLE_KEY: "service-role-key-of-the-project",
  NOTIFY_WEBHOOK_SECRET: NEW_WEBHOOK,
  RESEND_API_KEY: "re_123",
  FROM_EMAIL: "Pink Auto Glass <noreply@pinkautoglass.com>",
  ADMIN_EMAIL: "admin@pinkautoglass.com",
  TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
  TWILIO_AUTH_TOKEN: NEW_TWILIO,
  TWILIO_PHONE_NUMBER: "+17205550100",
};

Deno.test("config: each _PREVIOUS is optional, read when set, and held to its secret's rules", async (t) => {
  await t.step("unset or empty: undefined", () => {
    const cfg = parseConfig(notifyLeadConfigSchema, { ...HOSTED, TWILIO_AUTH_TOKEN_PREVIOUS: "" });
    assert.equal(cfg.NOTIFY_WEBHOOK_SECRET_PREVIOUS, undefined);
    assert.equal(cfg.TWILIO_AUTH_TOKEN_PREVIOUS, undefined);
    assert.equal(cfg.LEAD_ACTION_SECRET_PREVIOUS, undefined);
  });
  await t.step("set: read", () => {
    const cfg = parseConfig(notifyLeadConfigSchema, {
      ...HOSTED,
      NOTIFY_WEBHOOK_SECRET_PREVIOUS: OLD_WEBHOOK,
      TWILIO_AUTH_TOKEN_PREVIOUS: OLD_TWILIO,
    });
    assert.equal(cfg.NOTIFY_WEBHOOK_SECRET_PREVIOUS, OLD_WEBHOOK);
    assert.equal(cfg.TWILIO_AUTH_TOKEN_PREVIOUS, OLD_TWILIO);
    const links = parseConfig(leadActionConfigSchema, {
      ...HOSTED,
      LEAD_ACTION_SECRET: NEW_LINKS,
      LEAD_ACTION_SECRET_PREVIOUS: OLD_LINKS,
    });
    assert.equal(links.LEAD_ACTION_SECRET_PREVIOUS, OLD_LINKS);
    const events = parseConfig(resendEventsConfigSchema, {
      ...HOSTED,
      RESEND_WEBHOOK_SECRET: NEW_RESEND,
      RESEND_WEBHOOK_SECRET_PREVIOUS: OLD_RESEND,
    });
    assert.equal(events.RESEND_WEBHOOK_SECRET_PREVIOUS, OLD_RESEND);
  });
  const malformed: Array<[string, () => unknown, RegExp]> = [
    [
      "a short NOTIFY_WEBHOOK_SECRET_PREVIOUS",
      () =>
        parseConfig(notifyLeadConfigSchema, { ...HOSTED, NOTIFY_WEBHOOK_SECRET_PREVIOUS: "short" }),
      /NOTIFY_WEBHOOK_SECRET_PREVIOUS must be at least 24 characters/,
    ],
    [
      "a short LEAD_ACTION_SECRET_PREVIOUS",
      () =>
        parseConfig(leadActionConfigSchema, {
          ...HOSTED,
          LEAD_ACTION_SECRET: NEW_LINKS,
          LEAD_ACTION_SECRET_PREVIOUS: "short-old-secret",
        }),
      /LEAD_ACTION_SECRET_PREVIOUS must be at least 32 random characters/,
    ],
    [
      "a RESEND_WEBHOOK_SECRET_PREVIOUS without whsec_",
      () =>
        parseConfig(resendEventsConfigSchema, {
          ...HOSTED,
          RESEND_WEBHOOK_SECRET: NEW_RESEND,
          RESEND_WEBHOOK_SECRET_PREVIOUS: "not-a-signing-secret",
        }),
      /RESEND_WEBHOOK_SECRET_PREVIOUS must be the Resend webhook's signing secret/,
    ],
    [
      "a published value as TWILIO_AUTH_TOKEN_PREVIOUS on a hosted project",
      () =>
        parseConfig(notifyLeadConfigSchema, {
          ...HOSTED,
          TWILIO_AUTH_TOKEN_PREVIOUS: PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN,
        }),
      /TWILIO_AUTH_TOKEN_PREVIOUS is a value published/,
    ],
  ];
  for (const [name, parse, message] of malformed) {
    await t.step(`refused: ${name}, its value never shown`, () => {
      assert.throws(parse, (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        for (const shown of ["short", "short-old-secret", "not-a-signing-secret"]) {
          assert.ok(!err.message.includes(`"${shown}"`), "no value in the message");
        }
        assert.ok(!err.message.includes(PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN));
        return true;
      });
    });
  }
});
