/**
 * twilio-inbound: what Twilio tells us. Customers' texts (STOP, START, HELP, replies for
 * staff) and the delivery status of the texts we sent, each signed by Twilio.
 * The logic lives in shared/; this file reads this function's configuration and wires it.
 */
import {
  functionDbUrl,
  functionsUrl,
  parseConfig,
  twilioInboundConfigSchema,
} from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createTwilioInboundHandler } from "../../shared/twilio_inbound/handler.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { drainOutbox, WORKER_DRAIN_ROWS } from "../../shared/outbox/drain.ts";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";
import { maskPII } from "../../shared/platform/mask.ts";
import { unloadSignal, waitUntil } from "../../shared/platform/edge_worker.ts";
import { sendingOnDemand } from "../../shared/messages/sending.ts";

const cfg = parseConfig(twilioInboundConfigSchema, Deno.env.toObject());
nameConnections("twilio-inbound");
const dbUrl = functionDbUrl("twilio-inbound", cfg);
const sql = db(dbUrl);
const sending = sendingOnDemand(cfg, { dbUrl, connections: 3 });
const unloading = unloadSignal();
// Lingers past a lease (20 s), like notify-lead's, so a retry soon due is sent by this drain.
// Twilio waits on each webhook's answer and a staff email can wait a moment: replies arriving
// together are answered first, and their emails claimed, rendered and batched together. What
// one drain leaves (its bound) goes with the next reply, or the sweep's drain within a minute.
const scheduler = new DrainScheduler(
  async (sleep) =>
    drainOutbox(await sending(), {
      lingerMs: 25_000,
      sleep,
      maxRows: WORKER_DRAIN_ROWS,
      signal: unloading,
    }),
  { quietMs: 50, maxMs: 1_000 },
);

Deno.serve(createTwilioInboundHandler({
  sql,
  authToken: { current: cfg.TWILIO_AUTH_TOKEN, previous: cfg.TWILIO_AUTH_TOKEN_PREVIOUS },
  publicFunctionsUrl: functionsUrl(cfg),
  setup: messageSetup(cfg),
  drainSoon() {
    const drain = scheduler.request()
      .catch((err) => console.error(maskPII(`drain failed: ${(err as Error).stack}`)));
    waitUntil(drain);
  },
}));
