/**
 * resend-events: Resend's webhook endpoint (email delivered, bounced, complained, opened).
 * The Svix signature is the credential, so Supabase's JWT check is off (config.toml). The
 * logic lives in shared/resend_events/; this file reads this function's configuration.
 */
import {
  functionDbUrl,
  parseConfig,
  resendEventsConfigSchema,
} from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createResendEventsHandler } from "../../shared/resend_events/handler.ts";

const cfg = parseConfig(resendEventsConfigSchema, Deno.env.toObject());

nameConnections("resend-events");
Deno.serve(createResendEventsHandler({
  sql: db(functionDbUrl("resend-events", cfg), { max: 3 }),
  secret: { current: cfg.RESEND_WEBHOOK_SECRET, previous: cfg.RESEND_WEBHOOK_SECRET_PREVIOUS },
}));
