/**
 * notify-lead: tells the customer and the shop about a new lead within seconds.
 * Called by the database webhook on public.leads and, every minute, by pg_cron's sweep.
 * The logic lives in shared/; this file reads this function's configuration and wires it.
 */
import { functionsUrl, notifyLeadConfigSchema, parseConfig } from "../../shared/platform/config.ts";
import { db } from "../../shared/platform/db.ts";
import { createNotifyLeadHandler } from "../../shared/notify_lead/handler.ts";
import { drainRequester } from "../../shared/notify_lead/drain_request.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { drainOutbox, WORKER_DRAIN_ROWS } from "../../shared/outbox/drain.ts";
import { loadOnce, onBeforeUnload, waitUntil } from "../../shared/platform/edge_worker.ts";

const cfg = parseConfig(notifyLeadConfigSchema, Deno.env.toObject());
const sql = db(cfg.SUPABASE_DB_URL);
// The senders and renderers load at this worker's first drain, not at boot. Sending has its own
// connections: in a burst, hundreds of webhooks plan at once, and the drain's claims and
// records must not wait behind them.
const sending = loadOnce(async () =>
  (await import("../../shared/messages/wiring.ts")).drainDeps(
    cfg,
    db(cfg.SUPABASE_DB_URL, { purpose: "drain", max: 5 }),
  )
);
const unloading = new AbortController();
onBeforeUnload(() => unloading.abort());

Deno.serve(createNotifyLeadHandler({
  sql,
  webhookSecret: cfg.NOTIFY_WEBHOOK_SECRET,
  setup: messageSetup(cfg),
  // Lingers past a lease (20 s), so a sweep also picks up a dead sender's messages.
  drain: async (sleep, onBound) =>
    drainOutbox(await sending(), {
      lingerMs: 25_000,
      sleep,
      maxRows: WORKER_DRAIN_ROWS,
      onBound,
      signal: unloading.signal,
    }),
  waitUntil,
  handOn: drainRequester(functionsUrl(cfg), cfg.NOTIFY_WEBHOOK_SECRET),
}));
