/**
 * A verified SendGrid event: kept once by its sg_event_id, matched to our email by the
 * `outbox_key` custom argument our Mail Send call set (SendGrid echoes custom args as fields of
 * each event), and applied as every provider's events are (../email_events/apply.ts). Only what
 * it says about delivery is kept: no address, IP or user agent.
 */
import type postgres from "postgres";
import { z } from "zod";
import {
  applyEmailEffect,
  type ApplyResult,
  type EventEffect,
  NO_EFFECT,
  reportedEmail,
} from "../email_events/apply.ts";
import { maskPII } from "../platform/mask.ts";

export const sendGridEvent = z.object({
  event: z.string().min(1),
  sg_event_id: z.string().min(1),
  sg_message_id: z.string().optional(),
  timestamp: z.number().optional(),
  /** bounce events: "bounce" (hard) or "blocked" (soft). */
  type: z.string().optional(),
  reason: z.string().optional(),
  status: z.string().optional(),
  outbox_key: z.string().optional(),
}).passthrough();
export type SendGridEvent = z.infer<typeof sendGridEvent>;

/** SendGrid's email id: the X-Message-Id our call got, before the first dot. */
export const messageIdOf = (e: SendGridEvent) => e.sg_message_id?.split(".")[0] ?? null;

/** What SendGrid's event means for us (pure). A "blocked" bounce is reported, not suppressed. */
export function sendGridEffect(e: SendGridEvent): EventEffect {
  const reason = e.reason ? maskPII(e.reason) : null;
  switch (e.event) {
    case "delivered":
      return { activity: "email_delivered", status: "delivered", suppress: null, detail: null };
    case "deferred":
      return { activity: null, status: "delivery_delayed", suppress: null, detail: null };
    case "bounce": {
      const hard = (e.type ?? "bounce") !== "blocked";
      return {
        activity: "email_bounced",
        status: "bounced",
        suppress: hard ? "email_bounced" : null,
        detail: [e.type, e.status, reason].filter(Boolean).join(" · ") || null,
      };
    }
    case "dropped":
      return { activity: null, status: "failed", suppress: null, detail: reason };
    case "spamreport":
      return {
        activity: "email_complained",
        status: "complained",
        suppress: "email_complained",
        detail: "the recipient reported it as spam",
      };
    case "open":
      return { activity: "email_opened", status: null, suppress: null, detail: null };
    default:
      // processed (we logged the acceptance ourselves), click, unsubscribe, and anything new.
      return NO_EFFECT;
  }
}

/** The event as kept: what it says about delivery, nothing that names a person. */
function keptPayload(e: SendGridEvent) {
  return {
    event: e.event,
    ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}),
    ...(e.type ? { type: e.type } : {}),
    ...(e.status ? { status: e.status } : {}),
    ...(e.reason ? { reason: maskPII(e.reason) } : {}),
    ...(e.outbox_key ? { outbox_key: e.outbox_key } : {}),
  };
}

/** Applies one verified event. */
export async function applySendGridEvent(
  sql: postgres.Sql,
  event: SendGridEvent,
): Promise<ApplyResult> {
  const emailId = messageIdOf(event);
  const email = event.outbox_key
    ? await reportedEmail(sql, sql`key = ${event.outbox_key}`)
    : emailId
    ? await reportedEmail(sql, sql`provider = 'sendgrid' and provider_message_id = ${emailId}`)
    : undefined;
  return await applyEmailEffect(sql, {
    keep: sql`
      insert into public.sendgrid_events (sg_event_id, event_type, sg_message_id, outbox_id, payload)
      values (${event.sg_event_id}, ${event.event}, ${event.sg_message_id ?? null},
              ${email?.id ?? null}, ${sql.json(keptPayload(event))})
      on conflict (sg_event_id) do nothing
      returning 1`,
    email,
    emailId,
    effect: sendGridEffect(event),
  });
}
