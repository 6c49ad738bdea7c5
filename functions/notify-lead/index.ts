/**
 * notify-lead: tells the customer and the shop about a new lead within seconds.
 * Called by the database webhook on public.leads and, every minute, by pg_cron's sweep.
 * The logic lives in shared/; this file reads this function's configuration and wires it.
 */
import {
  functionDbUrl,
  functionsUrl,
  notifyLeadConfigSchema,
  parseConfig,
} from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createNotifyLeadHandler } from "../../shared/notify_lead/handler.ts";
import { drainRequester } from "../../shared/notify_lead/drain_request.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { drainOutbox, WORKER_DRAIN_ROWS } from "../../shared/outbox/drain.ts";
import { unloadSignal, waitUntil } from "../../shared/platform/edge_worker.ts";
import { sendingOnDemand } from "../../shared/messages/sending.ts";
import { drainStorageDeletions } from "../../shared/retention/storage_deletions.ts";
import { createStorageClient } from "../../shared/providers/storage_client.ts";

const cfg = parseConfig(notifyLeadConfigSchema, Deno.env.toObject());
nameConnections("notify-lead");
const dbUrl = functionDbUrl("notify-lead", cfg);
const sql = db(dbUrl);
const sending = sendingOnDemand(cfg, { dbUrl, connections: 5 });
const unloading = unloadSignal();
const storage = createStorageClient({
  supabaseUrl: cfg.SUPABASE_URL,
  serviceRoleKey: cfg.SUPABASE_SERVICE_ROLE_KEY,
});

Deno.serve(createNotifyLeadHandler({
  sql,
  webhookSecret: {
    current: cfg.NOTIFY_WEBHOOK_SECRET,
    previous: cfg.NOTIFY_WEBHOOK_SECRET_PREVIOUS,
  },
  setup: messageSetup(cfg),
  // Lingers past a lease (20 s), so a sweep also picks up a dead sender's messages.
  drain: async (sleep) =>
    drainOutbox(await sending(), {
      lingerMs: 25_000,
      sleep,
      maxRows: WORKER_DRAIN_ROWS,
      signal: unloading,
    }),
  waitUntil,
  handOn: drainRequester(functionsUrl(cfg), cfg.NOTIFY_WEBHOOK_SECRET),
  deleteQueuedObjects: () => drainStorageDeletions(sql, storage),
}));
