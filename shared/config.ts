/**
 * The functions' configuration: read once from the environment, validated with zod,
 * failing fast with a message that names each missing or malformed variable.
 * Supabase injects SUPABASE_*; the rest are our secrets (`supabase secrets set`).
 * Locally, `npm start` supplies every value (see supabase/local/local_env.ts).
 */
import { z } from "zod";

const e164 = z.string().regex(
  /^\+[1-9]\d{7,14}$/,
  "must be an E.164 phone number like +17209187465",
);
const url = z.url();
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

export const configSchema = z.object({
  SUPABASE_URL: url,
  SUPABASE_DB_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// connection URL"),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20, "must be the project's service role key"),

  NOTIFY_WEBHOOK_SECRET: z.string().min(
    24,
    "must be at least 24 characters (the database sends it in x-webhook-secret)",
  ),
  PUBLIC_FUNCTIONS_URL: optional(url),

  RESEND_API_KEY: z.string().regex(/^re_/, "must be a Resend API key (starts with re_)"),
  RESEND_BASE_URL: optional(url),
  FROM_EMAIL: z.string().min(
    3,
    "must be a sender like 'Pink Auto Glass <noreply@pinkautoglass.com>'",
  ),
  ADMIN_EMAIL: z.email("must be the staff inbox that gets new-lead alerts"),

  TWILIO_ACCOUNT_SID: z.string().regex(
    /^AC[0-9a-fA-F]{32}$/,
    "must be a Twilio Account SID (AC + 32 hex)",
  ),
  TWILIO_AUTH_TOKEN: z.string().min(16, "must be the Twilio auth token"),
  TWILIO_PHONE_NUMBER: e164,
  TWILIO_API_BASE_URL: optional(url),

  STAFF_ON_CALL_PHONE: optional(e164),
  WEBHOOK_CRM_URL: optional(url),
  WEBHOOK_CRM_TOKEN: optional(z.string()),
  WEBHOOK_SLACK_URL: optional(url),
});

export type Config = z.infer<typeof configSchema> & {
  /** Public base URL of our functions, e.g. https://<ref>.supabase.co/functions/v1. */
  functionsUrl: string;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates an environment; throws ConfigError listing every bad variable (values never shown). */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return env[name] === undefined || env[name] === ""
        ? `${name} is missing`
        : `${name} ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}. See .env.example.`);
  }
  const cfg = result.data;
  return {
    ...cfg,
    functionsUrl:
      (cfg.PUBLIC_FUNCTIONS_URL ?? `${cfg.SUPABASE_URL.replace(/\/$/, "")}/functions/v1`).replace(
        /\/$/,
        "",
      ),
  };
}

let cached: Config | undefined;

/** The configuration of this process, read from Deno.env on first use. */
export function config(): Config {
  cached ??= parseConfig(Deno.env.toObject());
  return cached;
}
