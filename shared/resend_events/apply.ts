/**
 * A verified Resend event, applied in one transaction: kept once by its svix-id (Resend
 * retries until it gets a 2xx, and an attacker may replay a captured one), matched to our
 * email by Resend's id, the email's delivery status moved forward, the activity written
 * once per email and kind, and a hard bounce or a complaint put on the suppression list.
 */
import type postgres from "postgres";
import { z } from "zod";
import { emailEventActivity, insertActivities } from "../leads/activity_log.ts";
import type { ReportedMessage } from "../outbox/store.ts";

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

/** What an event does to its email. */
interface EventEffect {
  activity: "email_delivered" | "email_bounced" | "email_complained" | "email_opened" | null;
  /** The delivery status it reports (null: it reports none, e.g. an open). */
  status: string | null;
  suppress: "email_bounced" | "email_complained" | null;
  detail: string | null;
}

/**
 * Delivery statuses in the order they can follow one another: a report never moves an email
 * back (a late "delivered" after a complaint changes nothing).
 */
const STATUS_ORDER = ["sent", "delivery_delayed", "delivered", "bounced", "failed", "complained"];

/** Whether `next` moves an email on from `current`. */
export function movesForward(current: string | null, next: string): boolean {
  return STATUS_ORDER.indexOf(next) > STATUS_ORDER.indexOf(current ?? "");
}

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
      return { activity: null, status: null, suppress: null, detail: null };
  }
}

export type ApplyResult = "duplicate" | "unknown_email" | "applied";

/** Applies one verified event (svix-id `svixId`). */
export async function applyResendEvent(
  sql: postgres.Sql,
  svixId: string,
  event: ResendEvent,
): Promise<ApplyResult> {
  return await sql.begin(async (tx) => {
    const emailId = event.data.email_id ?? null;
    const [email] = emailId === null ? [] : await tx<ReportedMessage[]>`
      select id, key, lead_id, template, recipient, delivery_status
      from public.notifications_outbox
      where provider_message_id = ${emailId} and channel = 'email'
      for update`;
    const kept = await tx`
      insert into public.resend_events (svix_id, event_type, email_id, outbox_id, payload)
      values (${svixId}, ${event.type}, ${emailId}, ${email?.id ?? null},
              ${tx.json(event as postgres.JSONValue)})
      on conflict (svix_id) do nothing
      returning 1`;
    if (kept.length === 0) return "duplicate";
    if (!email) return "unknown_email";
    const effect = eventEffect(event);
    if (effect.status && movesForward(email.delivery_status, effect.status)) {
      await tx`update public.notifications_outbox set delivery_status = ${effect.status}
               where id = ${email.id}`;
    }
    const address = email.recipient?.trim().toLowerCase() ?? "";
    const suppressed = effect.suppress !== null && address !== "";
    if (suppressed) {
      await tx`
        insert into public.email_suppressions (address, reason, detail, resend_email_id, lead_id)
        values (${address}, ${effect.suppress}, ${effect.detail}, ${emailId}, ${email.lead_id})
        on conflict (address) do nothing`;
    }
    if (effect.activity) {
      await insertActivities(tx, [emailEventActivity({
        leadId: email.lead_id,
        outboxKey: email.key,
        template: email.template,
        emailId: emailId!,
        type: effect.activity,
        detail: effect.detail,
        suppressed,
      })], { skipRecorded: true });
    }
    return "applied";
  }) as ApplyResult;
}
