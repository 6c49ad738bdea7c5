/**
 * Configuration, validated per function: each function declares the variables it needs (a
 * schema composed of the groups below) and fails fast, naming each missing or malformed
 * variable, on those alone. Values are never shown. Supabase injects SUPABASE_*; the rest are
 * our secrets (`supabase secrets set`). Locally, `npm start` supplies every value (see
 * supabase/local/local_env.ts).
 */
import { z } from "zod";
import { isLocalStack, publishedSecretsIn } from "./published_secrets.ts";

const e164 = z.string().regex(
  /^\+[1-9]\d{7,14}$/,
  "must be an E.164 phone number like +17209187465",
);
const url = z.url();
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/**
 * The `<NAME>_PREVIOUS` companion of a secret others sign with: set only while a rotation
 * overlaps, accepted by the verifier beside the current value, never used to sign (README,
 * "Rotating secrets"). It must look like the secret it was.
 */
const previousOf = <T extends z.ZodType>(schema: T) => optional(schema);

const postgresUrl = z.string().regex(
  /^postgres(ql)?:\/\//,
  "must be a postgres:// connection URL",
);

/** What Supabase injects into every function. */
export const platformVariables = {
  SUPABASE_URL: url,
  SUPABASE_DB_URL: postgresUrl,
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20, "must be the project's service role key"),
};

/**
 * Each function's own database login (README, "Database roles"): the secret holding its URL.
 * Our secrets may not start with SUPABASE_, so each is named after its function.
 */
export const FUNCTION_DB_URL_VARIABLES = {
  "notify-lead": "NOTIFY_LEAD_DB_URL",
  "send-reminders": "SEND_REMINDERS_DB_URL",
  "twilio-inbound": "TWILIO_INBOUND_DB_URL",
  "resend-events": "RESEND_EVENTS_DB_URL",
  "sendgrid-events": "SENDGRID_EVENTS_DB_URL",
  "lead-action": "LEAD_ACTION_DB_URL",
  "health": "HEALTH_DB_URL",
} as const;
export type FunctionName = keyof typeof FUNCTION_DB_URL_VARIABLES;

/** A function's optional `<FUNCTION>_DB_URL` (absent: SUPABASE_DB_URL, see functionDbUrl). */
const ownDbUrl = <F extends FunctionName>(fn: F) =>
  ({ [FUNCTION_DB_URL_VARIABLES[fn]]: optional(postgresUrl) }) as Record<
    (typeof FUNCTION_DB_URL_VARIABLES)[F],
    ReturnType<typeof optional<typeof postgresUrl>>
  >;

const notifyWebhookSecret = z.string().min(
  24,
  "must be at least 24 characters (the database sends it in x-webhook-secret)",
);
/** A function the database calls (webhooks, pg_cron). */
export const calledByDatabaseVariables = {
  NOTIFY_WEBHOOK_SECRET: notifyWebhookSecret,
  NOTIFY_WEBHOOK_SECRET_PREVIOUS: previousOf(notifyWebhookSecret),
};

/**
 * Where the world reaches our functions, when it is not SUPABASE_URL/functions/v1 (a custom
 * domain, a proxy): Twilio's status callbacks go there, and Twilio signs that URL.
 */
export const publicUrlVariables = {
  PUBLIC_FUNCTIONS_URL: optional(url),
};

/** Sending email through Resend. */
export const emailVariables = {
  RESEND_API_KEY: z.string().regex(/^re_/, "must be a Resend API key (starts with re_)"),
  RESEND_BASE_URL: optional(url),
  FROM_EMAIL: z.string().min(
    3,
    "must be a sender like 'Pink Auto Glass <noreply@pinkautoglass.com>'",
  ),
  ADMIN_EMAIL: z.email("must be the staff inbox that gets new-lead alerts"),
};

/**
 * SendGrid, the second email provider: with a key set, email goes through it while Resend is
 * failing (shared/channels/email_failover.ts). Its From must be a sender verified in SendGrid;
 * FROM_EMAIL when unset.
 */
export const sendGridVariables = {
  SENDGRID_API_KEY: optional(
    z.string().regex(/^SG\.[\w-]+\.[\w-]+$/, "must be a SendGrid API key (SG.xxx.yyy)"),
  ),
  SENDGRID_FROM_EMAIL: optional(
    z.string().min(3, "must be a sender verified in SendGrid, like 'Pink Auto Glass <noreply@…>'"),
  ),
  SENDGRID_BASE_URL: optional(url),
};

/** Sending SMS through Twilio. */
export const smsVariables = {
  TWILIO_ACCOUNT_SID: z.string().regex(
    /^AC[0-9a-fA-F]{32}$/,
    "must be a Twilio Account SID (AC + 32 hex)",
  ),
  TWILIO_AUTH_TOKEN: z.string().min(16, "must be the Twilio auth token"),
  /** The primary token while the new (secondary) one is not yet promoted: Twilio signs with it. */
  TWILIO_AUTH_TOKEN_PREVIOUS: previousOf(z.string().min(16, "must be the Twilio auth token")),
  TWILIO_PHONE_NUMBER: e164,
  TWILIO_API_BASE_URL: optional(url),
};

/** Outgoing webhooks: each is sent only when its URL is set. */
export const webhookVariables = {
  WEBHOOK_CRM_URL: optional(url),
  WEBHOOK_CRM_TOKEN: optional(z.string().min(1)),
  WEBHOOK_SLACK_URL: optional(url),
  WEBHOOK_SIGNING_SECRET: optional(
    z.string().regex(
      /^(whsec_)?[A-Za-z0-9+/]{24,}={0,2}$/,
      "must be a Standard Webhooks secret: whsec_ followed by base64 (at least 24 characters)",
    ),
  ),
};

const leadActionSecret = z.string().min(
  32,
  "must be at least 32 random characters (it signs staff alert links)",
);
/** The shop's people: who is paged, and the key of the "I'm on it" links in staff alerts. */
export const staffVariables = {
  STAFF_ON_CALL_PHONE: optional(e164),
  /** Texted the admin's alerts when email is the failing channel (else STAFF_ON_CALL_PHONE). */
  ADMIN_PHONE: optional(e164),
  LEAD_ACTION_SECRET: optional(leadActionSecret),
  /** Links signed before a rotation stay good until they expire (4 days). */
  LEAD_ACTION_SECRET_PREVIOUS: previousOf(leadActionSecret),
};

/**
 * Web forms' CAPTCHA: with a Cloudflare Turnstile secret set, a new lead's token is verified
 * before its customer is texted. The verify URL is Cloudflare's unless a test points it at the
 * local fake.
 */
export const captchaVariables = {
  TURNSTILE_SECRET_KEY: optional(z.string().min(1)),
  TURNSTILE_VERIFY_URL: optional(url),
};

/** What a function that drains the outbox needs: every channel's provider. */
const sendingVariables = {
  ...platformVariables,
  ...publicUrlVariables,
  ...emailVariables,
  ...sendGridVariables,
  ...smsVariables,
  ...webhookVariables,
  ...staffVariables,
  ...captchaVariables,
};

const crmTokenWithCrmUrl = {
  check: (env: { WEBHOOK_CRM_URL?: string; WEBHOOK_CRM_TOKEN?: string }) =>
    !env.WEBHOOK_CRM_URL || env.WEBHOOK_CRM_TOKEN !== undefined,
  issue: {
    path: ["WEBHOOK_CRM_TOKEN"],
    message: "must be set when WEBHOOK_CRM_URL is (the CRM gets it as Authorization: Bearer)",
  },
};

/** Any function that sends: the outbox's channels, configured alike everywhere. */
export const sendingConfigSchema = z.object(sendingVariables)
  .refine(crmTokenWithCrmUrl.check, crmTokenWithCrmUrl.issue);

/** notify-lead: new leads and the sweep; sends email, SMS and webhooks. */
export const notifyLeadConfigSchema = z.object({
  ...sendingVariables,
  ...calledByDatabaseVariables,
  ...ownDbUrl("notify-lead"),
}).refine(crmTokenWithCrmUrl.check, crmTokenWithCrmUrl.issue);

/**
 * send-reminders: called by pg_cron with the shared secret; plans reminders by SMS or email.
 * REMINDERS_PER_REQUEST bounds one request's planning (default 1,000; the rest is handed on).
 */
export const sendRemindersConfigSchema = z.object({
  ...sendingVariables,
  ...calledByDatabaseVariables,
  ...ownDbUrl("send-reminders"),
  REMINDERS_PER_REQUEST: optional(z.coerce.number().int().min(1).max(5_000)),
}).refine(crmTokenWithCrmUrl.check, crmTokenWithCrmUrl.issue);

/**
 * twilio-inbound: checks Twilio's signature (TWILIO_AUTH_TOKEN, over the public URL) and sends
 * what a customer's text calls for (the staff email of a reply) through the outbox.
 */
export const twilioInboundConfigSchema = z.object({
  ...sendingVariables,
  ...ownDbUrl("twilio-inbound"),
}).refine(crmTokenWithCrmUrl.check, crmTokenWithCrmUrl.issue);

/**
 * lead-action: the "I'm on it" links staff tap; it checks their signature (LEAD_ACTION_SECRET)
 * and records the action. PUBLIC_FUNCTIONS_URL (where the links point) decides whether its
 * pages can be HTML.
 */
export const leadActionConfigSchema = z.object({
  ...platformVariables,
  ...publicUrlVariables,
  ...ownDbUrl("lead-action"),
  LEAD_ACTION_SECRET: staffVariables.LEAD_ACTION_SECRET.pipe(
    z.string({ error: "must be set: it checks the links in staff alerts" }),
  ),
  LEAD_ACTION_SECRET_PREVIOUS: staffVariables.LEAD_ACTION_SECRET_PREVIOUS,
});

/** health: reads the outbox's figures; open to uptime monitors (no personal data). */
export const healthConfigSchema = z.object({ ...platformVariables, ...ownDbUrl("health") });

const resendWebhookSecret = z.string().regex(
  /^whsec_[A-Za-z0-9+/]{24,}={0,2}$/,
  "must be the Resend webhook's signing secret (whsec_ followed by base64)",
);
/** Resend's webhooks (delivery events), signed Svix-style with the endpoint's secret. */
export const emailEventsVariables = {
  RESEND_WEBHOOK_SECRET: resendWebhookSecret,
  RESEND_WEBHOOK_SECRET_PREVIOUS: previousOf(resendWebhookSecret),
};

/** resend-events: verifies Resend's webhooks and records delivery, bounces and complaints. */
export const resendEventsConfigSchema = z.object({
  ...platformVariables,
  ...ownDbUrl("resend-events"),
  ...emailEventsVariables,
});

const sendGridWebhookKey = z.string().regex(
  /^MF[A-Za-z0-9+/]{60,}={0,2}$/,
  "must be the Signed Event Webhook's verification key from SendGrid (base64, starts with MF)",
);
/** SendGrid's Event Webhook, signed with ECDSA: the verification key SendGrid shows. */
export const sendGridEventsVariables = {
  SENDGRID_WEBHOOK_PUBLIC_KEY: sendGridWebhookKey,
  SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS: previousOf(sendGridWebhookKey),
};

/** sendgrid-events: verifies SendGrid's events and records delivery, bounces and spam reports. */
export const sendGridEventsConfigSchema = z.object({
  ...platformVariables,
  ...ownDbUrl("sendgrid-events"),
  ...sendGridEventsVariables,
});

/** Every variable any function reads (the local stack passes these through from .env). */
export const ALL_VARIABLES: readonly string[] = [
  ...Object.keys({
    ...sendingVariables,
    ...calledByDatabaseVariables,
    ...emailEventsVariables,
    ...sendGridEventsVariables,
  }),
  ...Object.values(FUNCTION_DB_URL_VARIABLES),
];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Public base URL of our functions, e.g. https://<ref>.supabase.co/functions/v1. */
export function functionsUrl(
  env: { SUPABASE_URL: string; PUBLIC_FUNCTIONS_URL?: string },
): string {
  return (env.PUBLIC_FUNCTIONS_URL ?? `${env.SUPABASE_URL.replace(/\/$/, "")}/functions/v1`)
    .replace(/\/$/, "");
}

/** One variable a function cannot start with, and why (its value is never shown). */
export interface ConfigProblem {
  name: string;
  /** E.g. "is missing", "must be an E.164 phone number like +17209187465". */
  problem: string;
}

/**
 * Every missing or malformed variable of `env` for a function's schema, as parseConfig would
 * name them; empty when the function would start. The deploy check (supabase/deploy/) asks
 * every function's schema this before anything is deployed.
 */
export function configProblems(
  schema: z.ZodType,
  env: Record<string, string | undefined>,
): ConfigProblem[] {
  const result = schema.safeParse(env);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return {
      name,
      problem: env[name] === undefined || env[name] === ""
        ? `is missing${issue.code === "custom" ? ` (${issue.message})` : ""}`
        : issue.message,
    };
  });
}

/**
 * The database URL a function connects with: its own secret (`NOTIFY_LEAD_DB_URL`, …), whose
 * login role may do what that function needs and nothing else. Where that secret is absent,
 * SUPABASE_DB_URL (the `postgres` login) with a warning, so a project deployed before the
 * roles keeps working until the admin sets them. The warning names the user, never the
 * password.
 */
export function functionDbUrl(
  fn: FunctionName,
  cfg: { SUPABASE_DB_URL: string } & Partial<Record<string, unknown>>,
  warn: (message: string) => void = console.warn,
): string {
  const name = FUNCTION_DB_URL_VARIABLES[fn];
  const own = cfg[name];
  if (typeof own === "string" && own !== "") return own;
  warn(
    `${name} is not set: ${fn} connects with SUPABASE_DB_URL (${
      maskDbUrl(cfg.SUPABASE_DB_URL)
    }), whose rights are far beyond what it needs. Set ${name} (README, "Database roles").`,
  );
  return cfg.SUPABASE_DB_URL;
}

/** A connection URL as a log may show it: user, host, port and database; the password starred. */
export function maskDbUrl(dbUrl: string): string {
  try {
    const u = new URL(dbUrl);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "an unreadable URL";
  }
}

/** Validates an environment against a function's schema; throws ConfigError listing every bad variable. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = configProblems(schema, env).map((p) => `${p.name} ${p.problem}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}. See .env.example.`);
  }
  // Only the variables this function reads: the schema's output keeps no others.
  const read = result.data as Record<string, string | undefined>;
  const published = publishedSecretsIn(read);
  if (published.length > 0 && !isLocalStack(read.SUPABASE_URL)) {
    throw new ConfigError(
      `Invalid configuration: ${published.join(", ")} ${
        published.length === 1 ? "is a value" : "are values"
      } published in the leadwire repository (the local stack's defaults), which anyone can ` +
        "read: set your own secret (see .env.example).",
    );
  }
  return result.data;
}
