/**
 * A verified Resend event, applied in one statement: kept once by its svix-id (Resend
 * retries until it gets a 2xx, and an attacker may replay a captured one), matched to our
 * email by Resend's id, the email's delivery status moved forward, the activity written
 * once per email and kind, and a hard bounce or a complaint put on the suppression list.
 * Resend posts a few events for every email we send, so the email is read first and all the
 * writes go in that one statement: each happens only if the event was new, and the status
 * only moves forward from whatever it is when the statement runs (two events racing for one
 * email each apply their own move, in either order, and the later status wins).
 */
import type postgres from "postgres";
import { z } from "zod";
import { emailEventActivity, insertActivityIf } from "../leads/activity_log.ts";
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

/**
 * The statuses `next` does not move an email on from: itself and those after it. Null when
 * `next` is not a delivery status at all.
 */
export function statusesNotBefore(next: string): string[] | null {
  const at = STATUS_ORDER.indexOf(next);
  return at < 0 ? null : STATUS_ORDER.slice(at);
}

/** Whether `next` moves an email on from `current`. */
export function movesForward(current: string | null, next: string): boolean {
  return statusesNotBefore(next)?.includes(current ?? "") === false;
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
  const emailId = event.data.email_id ?? null;
  const [email] = emailId === null ? [] : await sql<ReportedMessage[]>`
    select id, key, lead_id, template, recipient, delivery_status
    from public.notifications_outbox
    where provider_message_id = ${emailId} and channel = 'email'`;
  const effect = eventEffect(event);
  const notBefore = email && effect.status ? statusesNotBefore(effect.status) : null;
  const address = email?.recipient?.trim().toLowerCase() ?? "";
  const suppressed = email !== undefined && effect.suppress !== null && address !== "";
  const activity = email && effect.activity
    ? emailEventActivity({
      leadId: email.lead_id,
      outboxKey: email.key,
      template: email.template,
      emailId: emailId!,
      type: effect.activity,
      detail: effect.detail,
      suppressed,
    })
    : null;
  const [{ kept }] = await sql<{ kept: number }[]>`
    with kept as (
      insert into public.resend_events (svix_id, event_type, email_id, outbox_id, payload)
      values (${svixId}, ${event.type}, ${emailId}, ${email?.id ?? null},
              ${sql.json(event as postgres.JSONValue)})
      on conflict (svix_id) do nothing
      returning 1
    )${
    notBefore
      ? sql`, moved as (
      update public.notifications_outbox set delivery_status = ${effect.status}
      where id = ${email!.id} and exists (select from kept)
        and (delivery_status is null or delivery_status <> all (${notBefore}::text[]))
    )`
      : sql``
  }${
    suppressed
      ? sql`, suppressed as (
      insert into public.email_suppressions (address, reason, detail, resend_email_id, lead_id)
      select ${address}::text, ${effect.suppress}::text, ${effect.detail}::text,
             ${emailId}::text, ${email!.lead_id}::uuid
      where exists (select from kept)
      on conflict (address) do nothing
    )`
      : sql``
  }${
    activity
      ? sql`, logged as (${insertActivityIf(sql, activity, "kept", { skipRecorded: true })})`
      : sql``
  }
    select count(*)::int as kept from kept`;
  if (kept === 0) return "duplicate";
  return email ? "applied" : "unknown_email";
}
