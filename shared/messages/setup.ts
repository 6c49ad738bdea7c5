/**
 * What a deployment decides about its messages, read from the function's configuration:
 * where staff alerts go and which webhooks are configured. A webhook kind is planned only
 * when its receiver is configured.
 */
import type { z } from "zod";
import { functionsUrl, type sendingConfigSchema } from "../platform/config.ts";

/** The configuration every sending function reads. */
export type SendingConfig = z.infer<typeof sendingConfigSchema>;

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
  /** `TURNSTILE_SECRET_KEY`: forms' CAPTCHA tokens are verified before a customer is texted. */
  turnstile?: { secret: string; verifyUrl: string };
}

/** Cloudflare Turnstile's verification endpoint. */
const TURNSTILE_VERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/** How a webhook receiver is named in the outbox: what and where, never its secret path. */
export function receiverLabel(name: string, url: string): string {
  return `${name} (${new URL(url).host})`;
}

/** The deployment's message settings: admin inbox and the webhooks that are configured. */
export function messageSetup(cfg: SendingConfig): MessageSetup {
  return {
    adminEmail: cfg.ADMIN_EMAIL,
    crm: cfg.WEBHOOK_CRM_URL
      ? { url: cfg.WEBHOOK_CRM_URL, token: cfg.WEBHOOK_CRM_TOKEN }
      : undefined,
    slack: cfg.WEBHOOK_SLACK_URL ? { url: cfg.WEBHOOK_SLACK_URL } : undefined,
    onCallPhone: cfg.STAFF_ON_CALL_PHONE,
    adminPhone: cfg.ADMIN_PHONE,
    actionLinks: cfg.LEAD_ACTION_SECRET
      ? { baseUrl: functionsUrl(cfg), secret: cfg.LEAD_ACTION_SECRET }
      : undefined,
    turnstile: cfg.TURNSTILE_SECRET_KEY
      ? {
        secret: cfg.TURNSTILE_SECRET_KEY,
        verifyUrl: cfg.TURNSTILE_VERIFY_URL ?? TURNSTILE_VERIFY_URL,
      }
      : undefined,
  };
}
