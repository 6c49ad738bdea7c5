/**
 * Forms' CAPTCHA (Cloudflare Turnstile), when `TURNSTILE_SECRET_KEY` is set: a new lead's
 * token (`leads.captcha_token`, which submit_lead stores) is verified before any text is
 * planned for it. A lead whose token is missing, refused or cannot be checked is still saved,
 * emailed and alerted to staff; only its customer texts are suppressed (`captcha_missing`,
 * `captcha_failed`, `captcha_unverified`). SQL cannot call out, so the check is here.
 */
import type postgres from "postgres";
import { isCustomerSms, messageKind } from "../messages/catalog.ts";
import type { NewOutboxRow } from "../outbox/store.ts";

/** What became of a lead's token. */
export type CaptchaVerdict = "passed" | "failed" | "missing" | "unverified";

/** How long Turnstile has to answer before the token counts as unverified. */
const VERIFY_TIMEOUT_MS = 5_000;

/** `rows` with the customer texts of leads whose token did not pass suppressed (pure). */
export function textOnlyVerified(
  rows: readonly NewOutboxRow[],
  verdicts: ReadonlyMap<string, CaptchaVerdict>,
): NewOutboxRow[] {
  return rows.map((row) => {
    const verdict = verdicts.get(row.lead_id ?? "");
    const kind = messageKind(row.template);
    if (!verdict || verdict === "passed" || row.status === "suppressed") return row;
    if (!kind || !isCustomerSms(kind)) return row;
    return {
      ...row,
      status: "suppressed",
      status_reason: `captcha_${verdict}`,
      next_attempt_at: null,
    };
  });
}

/**
 * Verifies the tokens of the leads not yet planned (outside any transaction: it waits on
 * Cloudflare). The lead id is the idempotency key, so planning again after a crash asks again
 * and gets the same answer rather than "already spent".
 */
export async function verifyCaptchas(
  sql: postgres.Sql,
  leadIds: readonly string[],
  turnstile: { secret: string; verifyUrl: string },
): Promise<Map<string, CaptchaVerdict>> {
  if (leadIds.length === 0) return new Map();
  const leads = await sql<{ id: string; captcha_token: string | null }[]>`
    select id, captcha_token from public.leads
    where id in ${sql([...leadIds])} and notifications_planned_at is null`;
  const verdicts = await Promise.all(leads.map(async (lead): Promise<[string, CaptchaVerdict]> => {
    if (!lead.captcha_token) return [lead.id, "missing"];
    try {
      const res = await fetch(turnstile.verifyUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          secret: turnstile.secret,
          response: lead.captcha_token,
          idempotency_key: lead.id,
        }),
        signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
      });
      if (!res.ok) {
        await res.body?.cancel();
        console.warn(`Turnstile answered ${res.status} for lead ${lead.id}: texts suppressed`);
        return [lead.id, "unverified"];
      }
      const answer = await res.json() as { success?: boolean; "error-codes"?: string[] };
      if (answer.success === true) return [lead.id, "passed"];
      console.warn(
        `Turnstile refused lead ${lead.id}'s token (${answer["error-codes"]?.join(", ")}): ` +
          "texts suppressed",
      );
      return [lead.id, "failed"];
    } catch (err) {
      console.warn(`Turnstile could not be asked about lead ${lead.id}: ${(err as Error).name}`);
      return [lead.id, "unverified"];
    }
  }));
  return new Map(verdicts);
}
