import assert from "node:assert/strict";
import {
  ConfigError,
  functionDbUrl,
  healthConfigSchema,
  leadActionConfigSchema,
  notifyLeadConfigSchema,
  parseConfig,
} from "../../shared/platform/config.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

const valid = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_DB_URL: "postgresql://postgres:pw@db.abc.supabase.co:5432/postgres",
  SUPABASE_SERVICE_ROLE_KEY: "service-role-key-of-the-project",
  NOTIFY_WEBHOOK_SECRET: "a-shared-secret-of-24-chars-or-more",
  RESEND_API_KEY: "re_123",
  FROM_EMAIL: "Pink Auto Glass <noreply@pinkautoglass.com>",
  ADMIN_EMAIL: "admin@pinkautoglass.com",
  TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
  TWILIO_AUTH_TOKEN: "0123456789abcdef0123",
  TWILIO_PHONE_NUMBER: "+17205550100",
};

Deno.test("parseConfig(notify-lead) accepts a deployment without webhooks and reads them when set", () => {
  const bare = parseConfig(notifyLeadConfigSchema, { ...valid, WEBHOOK_SLACK_URL: "" });
  assert.equal(bare.WEBHOOK_CRM_URL, undefined);
  assert.equal(bare.WEBHOOK_SLACK_URL, undefined, "an empty variable counts as unset");
  const full = parseConfig(notifyLeadConfigSchema, {
    ...valid,
    WEBHOOK_CRM_URL: "https://crm.example.com/hooks/leads",
    WEBHOOK_CRM_TOKEN: "t0k",
    WEBHOOK_SLACK_URL: "https://hooks.slack.com/services/T/B/x",
    WEBHOOK_SIGNING_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  });
  assert.equal(full.WEBHOOK_CRM_TOKEN, "t0k");
});

Deno.test("parseConfig(notify-lead) names every bad variable and never shows a value", async (t) => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["a missing key", { RESEND_API_KEY: "" }, /RESEND_API_KEY is missing/],
    [
      "a malformed phone",
      { TWILIO_PHONE_NUMBER: "720-555-0100" },
      /TWILIO_PHONE_NUMBER must be an E\.164/,
    ],
    [
      "a CRM URL without its token",
      { WEBHOOK_CRM_URL: "https://crm.example.com/h" },
      /WEBHOOK_CRM_TOKEN is missing/,
    ],
    [
      "a signing secret that is not base64",
      { WEBHOOK_SIGNING_SECRET: "whsec_not base64!" },
      /WEBHOOK_SIGNING_SECRET must be a Standard Webhooks secret/,
    ],
  ];
  for (const [name, change, message] of cases) {
    await t.step(name, () => {
      try {
        parseConfig(notifyLeadConfigSchema, { ...valid, ...change });
        assert.fail("accepted");
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, message);
        for (const value of Object.values(change)) {
          if (value) assert.ok(!err.message.includes(value), "the value is not shown");
        }
      }
    });
  }
});

Deno.test("parseConfig(lead-action) requires the link key, long enough, and shows no value", () => {
  const platform = {
    SUPABASE_URL: "https://abc.supabase.co",
    SUPABASE_DB_URL: "postgresql://postgres:pw@db.abc.supabase.co:5432/postgres",
    SUPABASE_SERVICE_ROLE_KEY: "k".repeat(40),
  };
  assert.throws(
    () => parseConfig(leadActionConfigSchema, platform),
    (err: Error) => err instanceof ConfigError && /LEAD_ACTION_SECRET is missing/.test(err.message),
  );
  assert.throws(
    () => parseConfig(leadActionConfigSchema, { ...platform, LEAD_ACTION_SECRET: "short-secret" }),
    (err: Error) =>
      /LEAD_ACTION_SECRET must be at least 32 random characters/.test(err.message) &&
      !err.message.includes("short-secret"),
  );
  const secret = "s".repeat(32);
  assert.equal(
    parseConfig(leadActionConfigSchema, { ...platform, LEAD_ACTION_SECRET: secret })
      .LEAD_ACTION_SECRET,
    secret,
  );
});

Deno.test("a secret published in the repository is refused outside a local stack, named and never shown", async (t) => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      "the local webhook secret",
      { NOTIFY_WEBHOOK_SECRET: PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET },
      "NOTIFY_WEBHOOK_SECRET",
    ],
    [
      "the fake Twilio's token",
      { TWILIO_AUTH_TOKEN: PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN },
      "TWILIO_AUTH_TOKEN",
    ],
    ["the demo service key", {
      SUPABASE_SERVICE_ROLE_KEY: PUBLISHED_SECRETS.SUPABASE_SERVICE_ROLE_KEY,
    }, "SUPABASE_SERVICE_ROLE_KEY"],
    [
      "one published value under another name",
      { NOTIFY_WEBHOOK_SECRET: PUBLISHED_SECRETS.LEAD_ACTION_SECRET },
      "NOTIFY_WEBHOOK_SECRET",
    ],
  ];
  for (const [name, change, variable] of cases) {
    await t.step(name, () => {
      const value = Object.values(change)[0];
      assert.throws(
        () => parseConfig(notifyLeadConfigSchema, { ...valid, ...change }),
        (err: Error) =>
          err instanceof ConfigError && err.message.includes(`${variable} is a value published`) &&
          !err.message.includes(value),
      );
    });
  }
  await t.step("lead-action's published link key", () => {
    assert.throws(
      () =>
        parseConfig(leadActionConfigSchema, {
          ...valid,
          LEAD_ACTION_SECRET: PUBLISHED_SECRETS.LEAD_ACTION_SECRET,
        }),
      /LEAD_ACTION_SECRET is a value published/,
    );
  });
  for (const url of ["http://127.0.0.1:54321", "http://localhost:54321", "http://kong:8000"]) {
    await t.step(`accepted on a local stack (${url})`, () => {
      const cfg = parseConfig(notifyLeadConfigSchema, {
        ...valid,
        SUPABASE_URL: url,
        NOTIFY_WEBHOOK_SECRET: PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET,
      });
      assert.equal(cfg.NOTIFY_WEBHOOK_SECRET, PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET);
    });
  }
  await t.step("a look-alike host is not local", () => {
    assert.throws(() =>
      parseConfig(notifyLeadConfigSchema, {
        ...valid,
        SUPABASE_URL: "https://localhost.example.com",
        NOTIFY_WEBHOOK_SECRET: PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET,
      })
    );
  });
});

Deno.test("functionDbUrl() connects a function as its own role, else as SUPABASE_DB_URL with a warning that hides the password", async (t) => {
  const own = "postgresql://leadwire_health:s3cret-health@db.abc.supabase.co:5432/postgres";
  const cases = [
    { name: "its own secret set", env: { HEALTH_DB_URL: own }, url: own, warned: false },
    { name: "its own secret absent", env: {}, url: valid.SUPABASE_DB_URL, warned: true },
    {
      name: "its own secret empty",
      env: { HEALTH_DB_URL: "" },
      url: valid.SUPABASE_DB_URL,
      warned: true,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const warnings: string[] = [];
      const cfg = parseConfig(healthConfigSchema, { ...valid, ...c.env });
      assert.equal(functionDbUrl("health", cfg, (m) => warnings.push(m)), c.url);
      assert.equal(warnings.length, c.warned ? 1 : 0);
      for (const w of warnings) {
        assert.match(w, /HEALTH_DB_URL is not set/);
        assert.match(w, /postgres:\*\*\*@db\.abc\.supabase\.co/);
        assert.ok(!w.includes(":pw@"), "the password is never logged");
      }
    });
  }
  await t.step("a malformed own URL is refused, named", () => {
    assert.throws(
      () => parseConfig(healthConfigSchema, { ...valid, HEALTH_DB_URL: "mysql://x" }),
      /HEALTH_DB_URL must be a postgres:\/\/ connection URL/,
    );
  });
});
