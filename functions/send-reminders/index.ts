/**
 * send-reminders: the day-before reminder of every appointment, called by pg_cron every
 * minute. The logic lives in shared/; this file reads this function's configuration and
 * wires it.
 */
import "../../shared/platform/production.ts";
import { parseConfig, sendRemindersConfigSchema } from "../../shared/platform/config.ts";
import { db } from "../../shared/platform/db.ts";
import { createSendRemindersHandler } from "../../shared/send_reminders/handler.ts";
import { drainDeps, messageSetup } from "../../shared/messages/wiring.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";
import { DrainScheduler } from "../../shared/outbox/drain_scheduler.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

const cfg = parseConfig(sendRemindersConfigSchema, Deno.env.toObject());
const sql = db(cfg.SUPABASE_DB_URL);
const sending = drainDeps(cfg, db(cfg.SUPABASE_DB_URL, { purpose: "drain", max: 5 }));
const scheduler = new DrainScheduler((sleep) => drainOutbox(sending, { sleep }));

Deno.serve(createSendRemindersHandler({
  sql,
  webhookSecret: cfg.NOTIFY_WEBHOOK_SECRET,
  setup: messageSetup(cfg),
  drain: () => scheduler.request(),
  waitUntil: (work) => typeof EdgeRuntime !== "undefined" ? EdgeRuntime.waitUntil(work) : void work,
}));
