/**
 * send-reminders: the day-before reminder of every appointment, called by pg_cron every
 * minute. The logic lives in shared/; this file reads this function's configuration and
 * wires it.
 */
import {
  functionsUrl,
  parseConfig,
  sendRemindersConfigSchema,
} from "../../shared/platform/config.ts";
import { drainRequester } from "../../shared/notify_lead/drain_request.ts";
import { db } from "../../shared/platform/db.ts";
import { createSendRemindersHandler } from "../../shared/send_reminders/handler.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { drainOutbox, WORKER_DRAIN_ROWS } from "../../shared/outbox/drain.ts";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";
import { unloadSignal, waitUntil } from "../../shared/platform/edge_worker.ts";
import { sendingOnDemand } from "../../shared/messages/sending.ts";

const cfg = parseConfig(sendRemindersConfigSchema, Deno.env.toObject());
const sql = db(cfg.SUPABASE_DB_URL);
const sending = sendingOnDemand(cfg, 5);
const unloading = unloadSignal();
// What one drain leaves (its bound) goes on to notify-lead's drains, in workers with budget.
const handOn = drainRequester(functionsUrl(cfg), cfg.NOTIFY_WEBHOOK_SECRET);
const scheduler = new DrainScheduler(async (sleep) => {
  const handOnNow = () =>
    waitUntil(
      handOn().catch((err) => console.error(`drain hand-on failed: ${err.message}`)),
    );
  const stats = await drainOutbox(await sending(), {
    sleep,
    maxRows: WORKER_DRAIN_ROWS,
    signal: unloading,
  });
  if (stats.more || stats.released > 0) handOnNow();
  return stats;
});

Deno.serve(createSendRemindersHandler({
  sql,
  webhookSecret: cfg.NOTIFY_WEBHOOK_SECRET,
  setup: messageSetup(cfg),
  drain: () => scheduler.request(),
  waitUntil,
}));
