/**
 * notify-lead: tells the customer and the shop about a new lead within seconds.
 * Called by the database webhook on public.leads and, every minute, by pg_cron's sweep.
 * The logic lives in shared/; this file reads this function's configuration and wires it.
 */
import "../../shared/platform/production.ts";
import { notifyLeadConfigSchema, parseConfig } from "../../shared/platform/config.ts";
import { db } from "../../shared/platform/db.ts";
import { createNotifyLeadHandler } from "../../shared/notify_lead/handler.ts";
import { drainDeps, messageSetup } from "../../shared/messages/wiring.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";

declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

const cfg = parseConfig(notifyLeadConfigSchema, Deno.env.toObject());
const sql = db(cfg.SUPABASE_DB_URL);
// Sending has its own connections: in a burst, hundreds of webhooks plan at once, and the
// drain's claims and records must not wait behind them.
const sending = drainDeps(cfg, db(cfg.SUPABASE_DB_URL, { purpose: "drain", max: 5 }));

Deno.serve(createNotifyLeadHandler({
  sql,
  webhookSecret: cfg.NOTIFY_WEBHOOK_SECRET,
  setup: messageSetup(cfg),
  // Lingers past a lease (20 s), so a sweep also picks up a dead sender's messages.
  drain: (sleep) => drainOutbox(sending, { lingerMs: 25_000, sleep }),
  waitUntil: (work) => typeof EdgeRuntime !== "undefined" ? EdgeRuntime.waitUntil(work) : void work,
}));
