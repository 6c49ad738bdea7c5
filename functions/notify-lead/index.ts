/**
 * notify-lead: tells the customer and the shop about a new lead within seconds.
 * Called by the database webhook on public.leads and, every minute, by pg_cron's sweep.
 * The logic lives in shared/notify_lead/; this file wires it to the platform.
 */
import { config } from "../../shared/config.ts";
import { db } from "../../shared/db.ts";
import { createNotifyLeadHandler } from "../../shared/notify_lead/handler.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";
import { RateLimiter } from "../../shared/outbox/rate_limiter.ts";
import { createResendClient } from "../../shared/providers/resend_client.ts";
import { createTwilioClient } from "../../shared/providers/twilio_client.ts";
import { createStorageClient } from "../../shared/providers/storage_client.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

const cfg = config();
const sql = db();
const drainDeps = {
  sql,
  resend: createResendClient({ apiKey: cfg.RESEND_API_KEY, baseUrl: cfg.RESEND_BASE_URL }),
  twilio: createTwilioClient({
    accountSid: cfg.TWILIO_ACCOUNT_SID,
    authToken: cfg.TWILIO_AUTH_TOKEN,
    apiBaseUrl: cfg.TWILIO_API_BASE_URL,
  }),
  storage: createStorageClient({
    supabaseUrl: cfg.SUPABASE_URL,
    serviceRoleKey: cfg.SUPABASE_SERVICE_ROLE_KEY,
  }),
  fromEmail: cfg.FROM_EMAIL,
  fromPhone: cfg.TWILIO_PHONE_NUMBER,
  smsStatusCallbackUrl: `${cfg.functionsUrl}/twilio-inbound`,
  resendLimiter: new RateLimiter(sql, "resend", 2),
};

Deno.serve(createNotifyLeadHandler({
  sql,
  webhookSecret: cfg.NOTIFY_WEBHOOK_SECRET,
  adminEmail: cfg.ADMIN_EMAIL,
  drain: () => drainOutbox(drainDeps, { lingerMs: 15_000 }),
  waitUntil: (work) => typeof EdgeRuntime !== "undefined" ? EdgeRuntime.waitUntil(work) : void work,
}));
