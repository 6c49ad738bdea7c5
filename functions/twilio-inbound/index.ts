/**
 * twilio-inbound: what Twilio tells us. Customers' texts (STOP, START, HELP, replies for
 * staff) and the delivery status of the texts we sent, each signed by Twilio.
 * The logic lives in shared/; this file reads this function's configuration and wires it.
 */
import "../../shared/platform/production.ts";
import {
  functionsUrl,
  parseConfig,
  twilioInboundConfigSchema,
} from "../../shared/platform/config.ts";
import { db } from "../../shared/platform/db.ts";
import { createTwilioInboundHandler } from "../../shared/twilio_inbound/handler.ts";
import { drainDeps, messageSetup } from "../../shared/messages/wiring.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";
import { maskPII } from "../../shared/platform/mask.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

const cfg = parseConfig(twilioInboundConfigSchema, Deno.env.toObject());
const sql = db(cfg.SUPABASE_DB_URL);
const sending = drainDeps(cfg, db(cfg.SUPABASE_DB_URL, { purpose: "drain", max: 3 }));
// Lingers past a lease (20 s), like notify-lead's, so a retry soon due is sent by this drain.
// Twilio waits on each webhook's answer and a staff email can wait a moment: replies arriving
// together are answered first, and their emails claimed, rendered and batched together.
const scheduler = new DrainScheduler(
  (sleep) => drainOutbox(sending, { lingerMs: 25_000, sleep }),
  { quietMs: 50, maxMs: 1_000 },
);

Deno.serve(createTwilioInboundHandler({
  sql,
  authToken: cfg.TWILIO_AUTH_TOKEN,
  publicFunctionsUrl: functionsUrl(cfg),
  setup: messageSetup(cfg),
  drainSoon() {
    const drain = scheduler.request()
      .catch((err) => console.error(maskPII(`drain failed: ${(err as Error).stack}`)));
    if (typeof EdgeRuntime !== "undefined") EdgeRuntime.waitUntil(drain);
  },
}));
