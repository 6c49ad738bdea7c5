/**
 * send-reminders: the day-before reminder of every appointment, called by pg_cron every
 * minute. The logic lives in shared/; this file reads this function's configuration and
 * wires it. It plans; notify-lead's drains send (their workers have the senders loaded).
 */
import {
  functionDbUrl,
  functionsUrl,
  parseConfig,
  sendRemindersConfigSchema,
} from "../../shared/platform/config.ts";
import { drainRequester, handOnRequester } from "../../shared/notify_lead/drain_request.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createSendRemindersHandler } from "../../shared/send_reminders/handler.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { waitUntil } from "../../shared/platform/edge_worker.ts";

const cfg = parseConfig(sendRemindersConfigSchema, Deno.env.toObject());
const functions = functionsUrl(cfg);

nameConnections("send-reminders");
Deno.serve(createSendRemindersHandler({
  sql: db(functionDbUrl("send-reminders", cfg)),
  webhookSecret: {
    current: cfg.NOTIFY_WEBHOOK_SECRET,
    previous: cfg.NOTIFY_WEBHOOK_SECRET_PREVIOUS,
  },
  setup: messageSetup(cfg),
  drain: drainRequester(functions, cfg.NOTIFY_WEBHOOK_SECRET),
  planMore: handOnRequester(functions, cfg.NOTIFY_WEBHOOK_SECRET, "send-reminders"),
  planLimit: cfg.REMINDERS_PER_REQUEST,
  waitUntil,
}));
