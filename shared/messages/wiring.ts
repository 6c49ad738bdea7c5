/**
 * What the outbox engine is handed in every function that sends: the message catalog's
 * preparer, one sender per channel, and the activity journal, built from the function's
 * configuration. Tests build a drainer the same way, so they exercise what production runs.
 */
import type postgres from "postgres";
import { functionsUrl } from "../platform/config.ts";
import { messageSetup, type SendingConfig } from "./setup.ts";
import type { DrainDeps } from "../outbox/drain.ts";
import { ProviderPause, RateLimiter } from "../outbox/rate_limiter.ts";
import { createEmailSender } from "../channels/email.ts";
import { databaseCircuit } from "../channels/email_failover.ts";
import { createSmsSender } from "../channels/sms.ts";
import { createWebhookSender } from "../channels/webhook.ts";
import { createPreparer } from "./prepare.ts";
import { journalOutcomes } from "../leads/activity_log.ts";
import { recordProviderOptOut } from "../leads/sms_consent.ts";
import { createResendClient } from "../providers/resend_client.ts";
import { createTwilioClient } from "../providers/twilio_client.ts";
import { createStorageClient } from "../providers/storage_client.ts";

/**
 * Resend's requests per second before its first answer states the team's limit
 * (`ratelimit-limit`, then kept in public.provider_limits for every sender): the lowest a
 * team has had, so the very first calls are never refused.
 */
const RESEND_ASSUMED_PER_SECOND = 2;

/** A drain's dependencies: one set per function instance (senders share batches and limits). */
export function drainDeps(cfg: SendingConfig, sql: postgres.Sql): DrainDeps {
  return {
    sql,
    prepare: createPreparer({
      sql,
      storage: createStorageClient({
        supabaseUrl: cfg.SUPABASE_URL,
        serviceRoleKey: cfg.SUPABASE_SERVICE_ROLE_KEY,
      }),
      setup: messageSetup(cfg),
    }),
    senders: {
      email: createEmailSender({
        resend: createResendClient({
          apiKey: cfg.RESEND_API_KEY,
          baseUrl: cfg.RESEND_BASE_URL,
        }),
        from: cfg.FROM_EMAIL,
        limiter: new RateLimiter(sql, "resend", RESEND_ASSUMED_PER_SECOND),
        ...(cfg.SENDGRID_API_KEY
          ? {
            failover: {
              account: {
                apiKey: cfg.SENDGRID_API_KEY,
                baseUrl: cfg.SENDGRID_BASE_URL,
                from: cfg.SENDGRID_FROM_EMAIL ?? cfg.FROM_EMAIL,
              },
              // SendGrid's Mail Send is metered by plan, not per second; this keeps a flood
              // of one-email calls from queueing up faster than SendGrid answers them.
              limiter: new RateLimiter(sql, "sendgrid", 20),
              circuit: databaseCircuit(sql, "resend"),
            },
          }
          : {}),
      }),
      sms: createSmsSender({
        twilio: createTwilioClient({
          accountSid: cfg.TWILIO_ACCOUNT_SID,
          authToken: cfg.TWILIO_AUTH_TOKEN,
          apiBaseUrl: cfg.TWILIO_API_BASE_URL,
        }),
        from: cfg.TWILIO_PHONE_NUMBER,
        statusCallbackUrl: `${functionsUrl(cfg)}/twilio-inbound`,
        onUnsubscribed: (phone, leadId) => recordProviderOptOut(sql, phone, leadId),
        pause: new ProviderPause(sql, "twilio"),
      }),
      webhook: createWebhookSender({
        signingSecret: cfg.WEBHOOK_SIGNING_SECRET,
      }),
    },
    journal: journalOutcomes,
  };
}
