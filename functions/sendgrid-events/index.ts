/**
 * sendgrid-events: SendGrid's Signed Event Webhook (delivered, bounce, dropped, spamreport…).
 * The ECDSA signature is the credential, so Supabase's JWT check is off (config.toml). The
 * logic lives in shared/sendgrid_events/; this file reads this function's configuration.
 */
import {
  functionDbUrl,
  parseConfig,
  sendGridEventsConfigSchema,
} from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createSendGridEventsHandler } from "../../shared/sendgrid_events/handler.ts";

const cfg = parseConfig(sendGridEventsConfigSchema, Deno.env.toObject());

nameConnections("sendgrid-events");
Deno.serve(createSendGridEventsHandler({
  sql: db(functionDbUrl("sendgrid-events", cfg), { max: 3 }),
  publicKey: {
    current: cfg.SENDGRID_WEBHOOK_PUBLIC_KEY,
    previous: cfg.SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS,
  },
}));
