/**
 * `npm run deploy`: its checks of an .env for a hosted project (supabase/deploy/plan.ts), its
 * dry run as an admin runs it (a subprocess; nothing is run, no stack or network needed), and
 * the agreement of the code, README and .env.example on which secrets are required.
 */
import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import {
  checkDeployEnv,
  deploySteps,
  FUNCTION_CONFIGS,
  requiredVariables,
} from "../../supabase/deploy/plan.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

const REF = "abcdefghijklmnopqrst";
const ROOT = new URL("../../", import.meta.url);

/** An .env a hosted deploy takes: every required value, well-formed, none published. */
const GOOD_ENV: Record<string, string> = {
  NODE_ENV: "production",
  RESEND_API_KEY: "re_test_0123456789abcdef",
  FROM_EMAIL: "Test Glass <noreply@testglass.example>",
  ADMIN_EMAIL: "admin@testglass.example",
  RESEND_WEBHOOK_SECRET: "whsec_dGVzdC1zZWNyZXQtZm9yLXRoZS1kZXBsb3ktdGVzdA==",
  TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
  TWILIO_AUTH_TOKEN: "0123456789abcdef0123456789abcdef",
  TWILIO_PHONE_NUMBER: "+17205550100",
  NOTIFY_WEBHOOK_SECRET: "n".repeat(24) + "-deploy-test",
  LEAD_ACTION_SECRET: "l".repeat(32) + "-deploy-test",
  RESEND_BASE_URL: "",
  PUBLIC_FUNCTIONS_URL: "",
};

function envText(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}="${v}"`).join("\n") + "\n";
}

async function dryRun(env: Record<string, string>, ...extra: string[]) {
  const file = await Deno.makeTempFile({ suffix: ".env" });
  try {
    await Deno.writeTextFile(file, envText(env));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "supabase/deploy/main.ts",
        "--project-ref",
        REF,
        "--env-file",
        file,
        ...extra,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

async function configuredFunctions(): Promise<string[]> {
  const config = parseToml(
    await Deno.readTextFile(new URL("supabase/config.toml", ROOT)),
  ) as { functions: Record<string, unknown> };
  return Object.keys(config.functions);
}

Deno.test("checkDeployEnv() takes a complete hosted .env", () => {
  assert.deepEqual(checkDeployEnv(GOOD_ENV, REF), []);
});

Deno.test("checkDeployEnv() names each missing or malformed value, never its value", async (t) => {
  const cases: Array<[string, Record<string, string>, string, RegExp]> = [
    ["a missing Twilio token", { TWILIO_AUTH_TOKEN: "" }, "TWILIO_AUTH_TOKEN", /^is missing$/],
    [
      "a SID that is not AC + 32 hex",
      { TWILIO_ACCOUNT_SID: "AC123" },
      "TWILIO_ACCOUNT_SID",
      /AC \+ 32 hex/,
    ],
    [
      "a number that is not E.164",
      { TWILIO_PHONE_NUMBER: "720-555-0100" },
      "TWILIO_PHONE_NUMBER",
      /E\.164/,
    ],
    [
      "an on-call phone that is not E.164",
      { STAFF_ON_CALL_PHONE: "5550100" },
      "STAFF_ON_CALL_PHONE",
      /E\.164/,
    ],
    [
      "a webhook URL that is no URL",
      { WEBHOOK_SLACK_URL: "hooks.slack.com/x" },
      "WEBHOOK_SLACK_URL",
      /URL/i,
    ],
    [
      "a CRM URL without its token",
      { WEBHOOK_CRM_URL: "https://crm.example/in" },
      "WEBHOOK_CRM_TOKEN",
      /must be set when WEBHOOK_CRM_URL is/,
    ],
    [
      "a short webhook secret",
      { NOTIFY_WEBHOOK_SECRET: "short" },
      "NOTIFY_WEBHOOK_SECRET",
      /at least 24 characters/,
    ],
    [
      "a short link secret",
      { LEAD_ACTION_SECRET: "x".repeat(31) },
      "LEAD_ACTION_SECRET",
      /at least 32 random characters/,
    ],
    ["a missing link secret", { LEAD_ACTION_SECRET: "" }, "LEAD_ACTION_SECRET", /^is missing/],
    [
      "a Resend secret without whsec_",
      { RESEND_WEBHOOK_SECRET: "abc" },
      "RESEND_WEBHOOK_SECRET",
      /whsec_/,
    ],
    ["a Resend key without re_", { RESEND_API_KEY: "sk_live_1" }, "RESEND_API_KEY", /re_/],
    ["NODE_ENV not production", { NODE_ENV: "development" }, "NODE_ENV", /must be production/],
    ["NODE_ENV missing", { NODE_ENV: "" }, "NODE_ENV", /^is missing/],
    [
      "the fake Resend's URL",
      { RESEND_BASE_URL: "http://127.0.0.1:54326" },
      "RESEND_BASE_URL",
      /local fakes/,
    ],
    [
      "the fake Twilio's URL",
      { TWILIO_API_BASE_URL: "http://127.0.0.1:54325" },
      "TWILIO_API_BASE_URL",
      /local fakes/,
    ],
    [
      "a public URL over http",
      { PUBLIC_FUNCTIONS_URL: "http://glass.example/functions/v1" },
      "PUBLIC_FUNCTIONS_URL",
      /https:\/\//,
    ],
    [
      "the local stack's link secret",
      { LEAD_ACTION_SECRET: PUBLISHED_SECRETS.LEAD_ACTION_SECRET },
      "LEAD_ACTION_SECRET",
      /published in the leadwire repository/,
    ],
    [
      "the fake Twilio's token",
      { TWILIO_AUTH_TOKEN: PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN },
      "TWILIO_AUTH_TOKEN",
      /published in the leadwire repository/,
    ],
    [
      "a SUPABASE_ name",
      { SUPABASE_DB_URL: "postgresql://x" },
      "SUPABASE_DB_URL",
      /SUPABASE_ prefix is Supabase's own/,
    ],
  ];
  for (const [what, change, name, problem] of cases) {
    await t.step(what, () => {
      const problems = checkDeployEnv({ ...GOOD_ENV, ...change }, REF);
      assert.deepEqual(problems.map((p) => p.name), [name], JSON.stringify(problems));
      assert.match(problems[0].problem, problem);
      for (const value of Object.values(change).filter((v) => v.length > 3)) {
        assert.ok(!problems[0].problem.includes(value), "the value is not shown");
      }
    });
  }
});

Deno.test("checkDeployEnv() knows the configuration of every function config.toml deploys", async () => {
  assert.deepEqual(Object.keys(FUNCTION_CONFIGS).sort(), (await configuredFunctions()).sort());
});

Deno.test("deploySteps() follows the README: link, db push, secrets, bundle, then each function", () => {
  const steps = deploySteps({
    projectRef: REF,
    functions: ["notify-lead", "health"],
    supabase: "supabase",
    deno: "deno",
    secretsFile: "/tmp/s.env",
    secretNames: ["B", "A"],
  });
  assert.deepEqual(steps.map((s) => s.argv.join(" ")), [
    `supabase link --project-ref ${REF}`,
    "supabase db push --linked",
    `supabase secrets set --env-file /tmp/s.env --project-ref ${REF}`,
    "deno task bundle",
    `supabase functions deploy notify-lead --use-api --project-ref ${REF}`,
    `supabase functions deploy health --use-api --project-ref ${REF}`,
  ]);
  assert.match(steps[2].title, /: A, B$/);
});

Deno.test("with SendGrid as email's fallback the deploy also uploads sendgrid-events, and needs its webhook key", async () => {
  const withSendGrid = { ...GOOD_ENV, SENDGRID_API_KEY: "SG.an-api-key-of-this-shop-0123456789" };
  const missing = await dryRun(withSendGrid, "--dry-run");
  assert.notEqual(missing.code, 0, missing.text);
  assert.match(
    missing.text,
    /SENDGRID_WEBHOOK_PUBLIC_KEY is missing \(sendgrid-events would not start\)/,
  );
  assert.match(missing.text, /functions deploy sendgrid-events --use-api/);
});

Deno.test("the deploy's dry run lists every step in order and runs none", async () => {
  const { code, text } = await dryRun(GOOD_ENV, "--dry-run");
  assert.equal(code, 0, text);
  assert.match(text, /ok: every function's variables are set and well-formed/);
  const commands = [...text.matchAll(/^\s+\$ (.+)$/gm)].map((m) =>
    m[1].replace(/<a temporary file of the 10 values set in [^>]+>/, "<secrets>")
  );
  assert.deepEqual(commands, [
    `node_modules/.bin/supabase link --project-ref ${REF}`,
    "node_modules/.bin/supabase db push --linked",
    `node_modules/.bin/supabase secrets set --env-file <secrets> --project-ref ${REF}`,
    "node_modules/.bin/deno task bundle",
    // Without SENDGRID_API_KEY, nothing would post to sendgrid-events: it is not deployed.
    ...(await configuredFunctions()).filter((fn) => fn !== "sendgrid-events").map((fn) =>
      `node_modules/.bin/supabase functions deploy ${fn} --use-api --project-ref ${REF}`
    ),
  ]);
  assert.match(text, /Dry run; the steps, none run:/);
  assert.match(text, /select set_up_shop\(/);
  // No <FUNCTION>_DB_URL in this .env: each function would connect as postgres until given its login.
  assert.match(text, /alter role leadwire_health password '…';  -- then HEALTH_DB_URL/);
  assert.match(text, /alter role leadwire_notify_lead password '…';  -- then NOTIFY_LEAD_DB_URL/);
  assert.doesNotMatch(text, /leadwire_sendgrid_events/, "sendgrid-events is not deployed");
  assert.match(
    text,
    /Note: staff alerts' "I'm on it" links point at https:\/\/abcdefghijklmnopqrst\.supabase\.co\/functions\/v1, where Supabase serves pages as\s+plain text/,
  );
  for (
    const value of [
      GOOD_ENV.TWILIO_AUTH_TOKEN,
      GOOD_ENV.LEAD_ACTION_SECRET,
      GOOD_ENV.RESEND_API_KEY,
    ]
  ) {
    assert.ok(!text.includes(value), "no secret value is printed");
  }
});

Deno.test("the deploy refuses an .env missing a required secret, naming it, and runs nothing", async (t) => {
  for (const extra of [["--dry-run"], []]) {
    await t.step(extra.length ? "dry run" : "a real run stops before linking", async () => {
      const { NOTIFY_WEBHOOK_SECRET: _left, ...env } = GOOD_ENV;
      const { code, text } = await dryRun(env, ...extra);
      assert.equal(code, 1, text);
      assert.match(
        text,
        /✗ NOTIFY_WEBHOOK_SECRET is missing \(notify-lead, send-reminders would not start\)/,
      );
      assert.match(text, /Refused: fix the 1 problem\(s\) above/);
      assert.doesNotMatch(text, /Deploying:|Step \d+ .* failed/);
    });
  }
});

Deno.test("the deploy refuses a malformed value, naming it and what it must be", async () => {
  const { code, text } = await dryRun({ ...GOOD_ENV, TWILIO_ACCOUNT_SID: "SK123" }, "--dry-run");
  assert.equal(code, 1, text);
  assert.match(
    text,
    /✗ TWILIO_ACCOUNT_SID must be a Twilio Account SID \(AC \+ 32 hex\) \(notify-lead, twilio-inbound, send-reminders would not start\)/,
  );
  assert.doesNotMatch(text, /SK123/);
});

Deno.test("the deploy refuses a project ref that is not one", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "supabase/deploy/main.ts", "--project-ref", "my-project", "--dry-run"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /"my-project" is not a project ref \(20 lowercase letters/,
  );
});

Deno.test("the code, README and .env.example agree on which secrets a hosted deploy requires", async () => {
  const required = requiredVariables();
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const readmeList = readme.match(
    /Required \(`npm run deploy` refuses an\s+`\.env` without any of them\):([\s\S]*?); and the\s+optional/,
  );
  assert.ok(readmeList, "README's list of required secrets");
  const readmeNames = [...readmeList[1].matchAll(/`([A-Z][A-Z0-9_]+)(=[a-z]+)?`/g)].map((m) => m[1])
    .sort();
  const example = await Deno.readTextFile(new URL(".env.example", ROOT));
  const exampleList = example.match(/# Required on a hosted project: ([\s\S]*?)\. Everything else/);
  assert.ok(exampleList, ".env.example's list of required secrets");
  const exampleNames = exampleList[1].replace(/\n#/g, "").split(/,\s*/).map((s) => s.trim()).sort();
  assert.deepEqual(readmeNames, required);
  assert.deepEqual(exampleNames, required);
  for (const name of required) {
    assert.match(example, new RegExp(`^${name}=`, "m"), `.env.example has a ${name}= line`);
  }
});
