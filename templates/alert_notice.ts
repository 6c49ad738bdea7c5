/**
 * What an admin alert says (the outbox row's `payload.alert`): which condition, whether it
 * was just raised, still holds an hour later, or has cleared, the numbers, and the overall
 * health then. Counts and times only: no lead, address or phone.
 */
import type { Condition, HealthStatus } from "../shared/admin/health.ts";

export interface AlertNotice {
  condition: Condition;
  state: "raised" | "ongoing" | "cleared";
  /** One line with the numbers (the problem's summary; for a clearing, what it was). */
  summary: string;
  /** When the condition was first seen (ISO). */
  since: string;
  /** The system's health when the alert was planned. */
  health: HealthStatus;
}

/** `leadwire ALERT: …`, `leadwire: still …`, `leadwire: cleared …`. */
export function alertHeadline(alert: AlertNotice): string {
  switch (alert.state) {
    case "raised":
      return `leadwire ALERT (${alert.health}): ${alert.summary}`;
    case "ongoing":
      return `leadwire ALERT, still (${alert.health}): ${alert.summary}`;
    case "cleared":
      return `leadwire: cleared: ${alert.summary}`;
  }
}

/** What the admin can do about a condition. */
export function alertAdvice(alert: AlertNotice): string {
  if (alert.state === "cleared") return "Nothing to do: it has cleared.";
  switch (alert.condition) {
    case "dead_letters":
      return "See the outbox's dead letters in the dashboard (notifications_outbox where status = 'dead', last_error says why) and send them again with select * from replay_dead_letters();";
    case "held_first_texts":
      return "Look at the leads whose confirmation text is held (notifications_outbox where status_reason = 'first_text_hold'): if they are real customers, select release_held_texts(); sends each once. If they are a script's, leave them: nothing is sent.";
    case "sms_budget_warning":
    case "sms_budget_spent":
      return "See the day's spend in sms_spend_today and which texts went (notifications_outbox where channel = 'sms' and sent_at is today). If they are real customers, raise business_settings.sms_daily_budget_usd; texts suppressed as sms_budget_spent are not sent later, their customers got the email.";
    case "backlog":
    case "stale_message":
      return "Messages are waiting: check outbox_health and provider_health in the dashboard, and that the sweep's cron job runs.";
    default:
      if (alert.condition.endsWith("_failover")) {
        return "Nothing is lost: email goes through SendGrid, and the failing provider is tried again every cool-down (provider_circuits). Check provider_health and the provider's status page; you will be told once it answers again.";
      }
      return "A provider is failing: check provider_health and notification_metrics_24h in the dashboard, and the provider's status page.";
  }
}
