/**
 * What a Twilio status callback changes (pure). Twilio may post a message's statuses more
 * than once and out of order; a status only moves forward, and a final one (delivered,
 * undelivered, failed, canceled) never changes again, so the first final report is the one
 * logged.
 */

/** How far along each status Twilio reports is; the finals share the last step. */
const PROGRESS: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
};

/** Statuses after which nothing changes. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set([
  "delivered",
  "undelivered",
  "failed",
  "canceled",
]);

/** A status change to apply; `final` when it ends the message's story (log it, once). */
export interface DeliveryChange {
  status: string;
  final: boolean;
}

/**
 * The change a report makes to a message whose recorded status is `current` (null: none
 * yet); null when it changes nothing: an unknown status, a repeat, a report older than what
 * is recorded, or anything after a final status.
 */
export function deliveryChange(current: string | null, reported: string): DeliveryChange | null {
  const next = PROGRESS[reported];
  if (next === undefined) return null;
  if (current !== null && FINAL_STATUSES.has(current)) return null;
  const now = current === null ? -1 : PROGRESS[current] ?? -1;
  if (next <= now) return null;
  return { status: reported, final: FINAL_STATUSES.has(reported) };
}

/**
 * Carrier errors that mean the number cannot take texts at all, with the words staff read.
 * Later texts to such a number are suppressed (reason `unreachable`).
 */
export const UNREACHABLE_ERRORS: Readonly<Record<number, string>> = {
  30003: "unreachable handset",
  30005: "unknown or inactive number",
  30006: "landline or unreachable carrier",
};

/** Twilio 21610: the recipient has opted out (replied STOP to Twilio). */
export const RECIPIENT_UNSUBSCRIBED = 21610;
