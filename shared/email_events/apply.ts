/**
 * What every email provider's delivery event does to our email, in one statement: the event
 * kept once (each provider's own table, by its own event id: a provider retries until it gets
 * a 2xx, and an attacker may replay a captured one), the email's delivery status moved forward,
 * the activity written once per email and kind, and a hard bounce or a complaint put on the
 * suppression list. Each write happens only if the event was new, and the status only moves
 * forward from whatever it is when the statement runs (two events racing for one email each
 * apply their own move, in either order, and the later status wins). Resend's and SendGrid's
 * handlers say only how their events read (resend_events/, sendgrid_events/).
 */
import type postgres from "postgres";
import { emailEventActivity, insertActivityIf } from "../leads/activity_log.ts";
import type { ReportedMessage } from "../outbox/store.ts";

/** What an event does to its email. */
export interface EventEffect {
  activity: "email_delivered" | "email_bounced" | "email_complained" | "email_opened" | null;
  /** The delivery status it reports (null: it reports none, e.g. an open). */
  status: string | null;
  suppress: "email_bounced" | "email_complained" | null;
  detail: string | null;
}

/** An event that changes nothing but its own record (a click, a type we do not know). */
export const NO_EFFECT: EventEffect = {
  activity: null,
  status: null,
  suppress: null,
  detail: null,
};

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

export type ApplyResult = "duplicate" | "unknown_email" | "applied";

/** The email an event is about: ours, sent by email. */
export async function reportedEmail(
  sql: postgres.Sql,
  where: postgres.PendingQuery<postgres.Row[]>,
): Promise<ReportedMessage | undefined> {
  const [email] = await sql<ReportedMessage[]>`
    select id, key, lead_id, template, recipient, delivery_status
    from public.notifications_outbox
    where channel = 'email' and ${where}`;
  return email;
}

/**
 * Applies one verified event: `keep` inserts it into its provider's table (`on conflict do
 * nothing returning 1`), and the rest happens only if it did.
 */
export async function applyEmailEffect(
  sql: postgres.Sql,
  opts: {
    keep: postgres.PendingQuery<postgres.Row[]>;
    email: ReportedMessage | undefined;
    /** The provider's id of the email, for the suppression and the activity. */
    emailId: string | null;
    effect: EventEffect;
  },
): Promise<ApplyResult> {
  const { email, effect, emailId } = opts;
  const notBefore = email && effect.status ? statusesNotBefore(effect.status) : null;
  const address = email?.recipient?.trim().toLowerCase() ?? "";
  const suppressed = email !== undefined && effect.suppress !== null && address !== "";
  const activity = email && effect.activity && emailId !== null
    ? emailEventActivity({
      leadId: email.lead_id,
      outboxKey: email.key,
      template: email.template,
      emailId,
      type: effect.activity,
      detail: effect.detail,
      suppressed,
    })
    : null;
  const [{ kept }] = await sql<{ kept: number }[]>`
    with kept as (${opts.keep})${
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
