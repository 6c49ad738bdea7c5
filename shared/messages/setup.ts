/**
 * What a deployment decides about its messages, read from the function's configuration:
 * where staff alerts go and which webhooks are configured. A webhook kind is planned only
 * when its receiver is configured.
 */

/** The deployment's message settings. */
export interface MessageSetup {
  /** The staff inbox for new-lead alerts (`ADMIN_EMAIL`). */
  adminEmail: string;
  /** `WEBHOOK_CRM_URL` and `WEBHOOK_CRM_TOKEN` (sent as `Authorization: Bearer`). */
  crm?: { url: string; token?: string };
  /** `WEBHOOK_SLACK_URL`: a Slack incoming webhook. */
  slack?: { url: string };
  /** `STAFF_ON_CALL_PHONE`: texted high-priority leads and escalations instead of the roster's on-call person. */
  onCallPhone?: string;
  /** `ADMIN_PHONE`: texted the admin's alerts when email is failing (else the on-call phone). */
  adminPhone?: string;
  /** Where staff messages' "I'm on it" links point (lead-action), and their signing key. */
  actionLinks?: { baseUrl: string; secret: string };
}

/** How a webhook receiver is named in the outbox: what and where, never its secret path. */
export function receiverLabel(name: string, url: string): string {
  return `${name} (${new URL(url).host})`;
}
