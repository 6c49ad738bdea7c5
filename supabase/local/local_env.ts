/**
 * The environment the local stack gives the functions, as Supabase would on a hosted
 * project: SUPABASE_* injected, our own secrets from `.env` when present, and local
 * defaults for everything else so that nothing has to be set to try the system.
 * With real provider keys in .env (or the shell), the real providers are used.
 */
import { parse as parseDotenv } from "dotenv";
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";
import {
  ALL_VARIABLES,
  FUNCTION_DB_URL_VARIABLES,
  type FunctionName,
  functionsUrl,
} from "../../shared/platform/config.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

/** Supabase's well-known local demo keys (the CLI prints the same ones). */
export const LOCAL_ANON_KEY = PUBLISHED_SECRETS.SUPABASE_ANON_KEY;
export const LOCAL_SERVICE_ROLE_KEY = PUBLISHED_SECRETS.SUPABASE_SERVICE_ROLE_KEY;

/** Credentials the fakes accept. They are not secrets: nothing real answers to them. */
export const FAKE_RESEND_API_KEY = PUBLISHED_SECRETS.RESEND_API_KEY;
export const FAKE_SENDGRID_API_KEY = PUBLISHED_SECRETS.SENDGRID_API_KEY;
export const FAKE_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000000";
export const FAKE_TWILIO_AUTH_TOKEN = PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN;

export interface LocalUrls {
  apiUrl: string;
  dbUrl: string;
  twilioUrl: string;
  resendUrl: string;
  /** The fake SendGrid; without it the functions have no second email provider. */
  sendgridUrl?: string;
  /** The key the fake SendGrid signs its events with (sendgrid-events verifies them). */
  sendgridWebhookPublicKey?: string;
}

async function readDotenv(): Promise<Record<string, string>> {
  try {
    return parseDotenv(await Deno.readTextFile(join(projectRoot, ".env")));
  } catch {
    return {};
  }
}

/** Our own settings as given by the developer: .env, overridden by the shell. */
export async function developerEnv(): Promise<Record<string, string>> {
  const fromFile = await readDotenv();
  const merged: Record<string, string> = { ...fromFile };
  for (const name of ALL_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined && !name.startsWith("SUPABASE_")) merged[name] = value;
  }
  return merged;
}

/** True when the developer gave real keys for the provider (so the fake is not used). */
export function usesRealResend(env: Record<string, string>) {
  return Boolean(env.RESEND_API_KEY) && env.RESEND_API_KEY !== FAKE_RESEND_API_KEY;
}
export function usesRealSendGrid(env: Record<string, string>) {
  return Boolean(env.SENDGRID_API_KEY) && env.SENDGRID_API_KEY !== FAKE_SENDGRID_API_KEY;
}
export function usesRealTwilio(env: Record<string, string>) {
  return Boolean(env.TWILIO_ACCOUNT_SID && env.TWILIO_AUTH_TOKEN) &&
    env.TWILIO_ACCOUNT_SID !== FAKE_TWILIO_ACCOUNT_SID;
}

/** The fake Resend's webhook signing secret. */
export const LOCAL_RESEND_WEBHOOK_SECRET = PUBLISHED_SECRETS.RESEND_WEBHOOK_SECRET;

/** Our settings when the developer gives none. */
const localDefaults = {
  // React and other npm packages pick their production builds only with it; the edge runtime
  // does not set it and a worker cannot (its environment is read-only): a function secret.
  NODE_ENV: "production",
  FROM_EMAIL: "Pink Auto Glass <noreply@pinkautoglass.com>",
  ADMIN_EMAIL: "admin@pinkautoglass.com",
  TWILIO_PHONE_NUMBER: "+17205550100",
  NOTIFY_WEBHOOK_SECRET: PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET,
  LEAD_ACTION_SECRET: PUBLISHED_SECRETS.LEAD_ACTION_SECRET,
  RESEND_WEBHOOK_SECRET: LOCAL_RESEND_WEBHOOK_SECRET,
};

/** The secret the fake Resend signs its webhooks with: the developer's, else the local one. */
export function resendWebhookSecret(dev: Record<string, string>): string {
  return dev.RESEND_WEBHOOK_SECRET || localDefaults.RESEND_WEBHOOK_SECRET;
}

/**
 * The shop's number as the fake Twilio plays it: its phone number, and its "a message comes
 * in" webhook, the public URL twilio-inbound validates Twilio's signature against.
 */
export function fakeTwilioNumber(
  dev: Record<string, string>,
  apiUrl: string,
): { phoneNumber: string; inboundWebhookUrl: string } {
  const publicUrl = functionsUrl({
    SUPABASE_URL: apiUrl,
    PUBLIC_FUNCTIONS_URL: dev.PUBLIC_FUNCTIONS_URL || undefined,
  });
  return {
    phoneNumber: dev.TWILIO_PHONE_NUMBER || localDefaults.TWILIO_PHONE_NUMBER,
    inboundWebhookUrl: `${publicUrl}/twilio-inbound`,
  };
}

/**
 * Each function's login role (migration 20261207002000_function_roles.sql), as the admin of a
 * hosted project names it, and its password on the local stack only: the stack sets these
 * after migrating (`alter role … password`), as the admin does on a hosted project.
 */
export function functionRole(fn: FunctionName): { role: string; password: string } {
  const role = `leadwire_${fn.replaceAll("-", "_")}`;
  return { role, password: `${role}-local` };
}

/** A function's database URL on the local stack: the stack's database, as its own role. */
export function functionRoleUrl(dbUrl: string, fn: FunctionName): string {
  const url = new URL(dbUrl);
  const { role, password } = functionRole(fn);
  url.username = role;
  url.password = password;
  return url.toString();
}

/** Every function's `<FUNCTION>_DB_URL` secret, as the stack sets them. */
export function functionDbUrls(dbUrl: string): Record<string, string> {
  return Object.fromEntries(
    (Object.entries(FUNCTION_DB_URL_VARIABLES) as [FunctionName, string][])
      .map(([fn, variable]) => [variable, functionRoleUrl(dbUrl, fn)]),
  );
}

/** The full environment for the functions. */
export function functionEnv(dev: Record<string, string>, urls: LocalUrls): Record<string, string> {
  const realResend = usesRealResend(dev);
  const realTwilio = usesRealTwilio(dev);
  return {
    ...localDefaults,
    ...dev,
    SUPABASE_URL: urls.apiUrl,
    SUPABASE_DB_URL: urls.dbUrl,
    // Secrets are the project's, every function sees them all, as on a hosted project.
    ...functionDbUrls(urls.dbUrl),
    SUPABASE_SERVICE_ROLE_KEY: LOCAL_SERVICE_ROLE_KEY,
    SUPABASE_ANON_KEY: LOCAL_ANON_KEY,
    ...(realResend ? {} : { RESEND_API_KEY: FAKE_RESEND_API_KEY, RESEND_BASE_URL: urls.resendUrl }),
    // The fake SendGrid only beside the fake Resend: real Resend mail never fails over to a fake.
    ...(realResend || usesRealSendGrid(dev) || !urls.sendgridUrl ? {} : {
      SENDGRID_API_KEY: FAKE_SENDGRID_API_KEY,
      SENDGRID_BASE_URL: urls.sendgridUrl,
      ...(urls.sendgridWebhookPublicKey
        ? { SENDGRID_WEBHOOK_PUBLIC_KEY: urls.sendgridWebhookPublicKey }
        : {}),
    }),
    ...(realTwilio ? {} : {
      TWILIO_ACCOUNT_SID: FAKE_TWILIO_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: FAKE_TWILIO_AUTH_TOKEN,
      TWILIO_API_BASE_URL: urls.twilioUrl,
    }),
  };
}
