/**
 * A verified Resend event: kept once by its svix-id, matched to our email by Resend's id, and
 * applied as every provider's events are (../email_events/apply.ts).
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

export { movesForward, statusesNotBefore } from "../email_events/apply.ts";

export const resendEvent = z.object({
  type: z.string().min(1),
  created_at: z.string().optional(),
  data: z.object({
    email_id: z.string().min(1).optional(),
    to: z.union([z.array(z.string()), z.string()]).optional(),
    bounce: z.object({
      type: z.string().optional(),
      subType: z.string().optional(),
      message: z.string().optional(),
    }).optional(),
  }).passthrough(),
}).passthrough();
export type ResendEvent = z.infer<typeof resendEvent>;

/** What Resend's event type means for us. A transient bounce is reported, not suppressed. */
export function eventEffect(event: ResendEvent): EventEffect {
  const bounce = event.data.bounce;
  switch (event.type) {
    case "email.delivered":
      return { activity: "email_delivered", status: "delivered", suppress: null, detail: null };
    case "email.bounced": {
      const hard = (bounce?.type ?? "Permanent").toLowerCase() !== "transient";
      const detail = [bounce?.type, bounce?.subType, bounce?.message].filter(Boolean).join(" · ");
      return {
        activity: "email_bounced",
        status: "bounced",
        suppress: hard ? "email_bounced" : null,
        detail: detail || null,
      };
    }
    case "email.complained":
      return {
        activity: "email_complained",
        status: "complained",
        suppress: "email_complained",
        detail: "the recipient reported it as spam",
      };
    case "email.opened":
      return { activity: "email_opened", status: null, suppress: null, detail: null };
    case "email.delivery_delayed":
      return { activity: null, status: "delivery_delayed", suppress: null, detail: null };
    case "email.failed":
      return { activity: null, status: "failed", suppress: null, detail: null };
    default:
      // email.sent (we logged the acceptance ourselves), email.clicked, and anything new.
      return NO_EFFECT;
  }
}

/** Applies one verified event (svix-id `svixId`). */
export async function applyResendEvent(
  sql: postgres.Sql,
  svixId: string,
  event: ResendEvent,
): Promise<ApplyResult> {
  const emailId = event.data.email_id ?? null;
  const email = emailId === null
    ? undefined
    : await reportedEmail(sql, sql`provider_message_id = ${emailId}`);
  return await applyEmailEffect(sql, {
    keep: sql`
      insert into public.resend_events (svix_id, event_type, email_id, outbox_id, payload)
      values (${svixId}, ${event.type}, ${emailId}, ${email?.id ?? null},
              ${sql.json(event as postgres.JSONValue)})
      on conflict (svix_id) do nothing
      returning 1`,
    email,
    emailId,
    effect: eventEffect(event),
  });
}
