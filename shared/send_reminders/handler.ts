/**
 * send-reminders' request handling. pg_cron posts here every minute (with the shared secret
 * from Vault, like the sweep): the reminders of appointments within reach are planned, each
 * once per appointment version whatever the number of calls or instances, and the answer
 * comes as soon as they are; what is due in the outbox is sent from the first batch planned
 * on, by a drain asked of notify-lead (pg_net takes no new request while one of its batch is
 * unanswered). Each reminder waits in the outbox until its time.
 *
 * One request plans at most PLAN_PER_REQUEST appointments: a worker has about a second of CPU,
 * and 10,000 appointments due at once would take several. What is left is handed on as a
 * request of its own, which the runtime serves in a worker with budget left.
 */
import type postgres from "postgres";
import {
  BodyTooLargeError,
  errorResponse,
  jsonResponse,
  refuseWithoutSecret,
} from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { planDueReminders } from "../appointments/plan.ts";

export interface SendRemindersDeps {
  sql: postgres.Sql;
  /** `NOTIFY_WEBHOOK_SECRET` (and `NOTIFY_WEBHOOK_SECRET_PREVIOUS` during a rotation). */
  webhookSecret: VerifyingSecret;
  setup: MessageSetup;
  /** The time every decision is made at. Default: the system clock. */
  clock?: () => Date;
  /** Asks for what is due in the outbox to be sent (a notify-lead drain). */
  drain: () => Promise<void>;
  /** Asks for the planning to go on (a request of its own to send-reminders). */
  planMore: () => Promise<void>;
  /** At most this many appointments per request. Default: PLAN_PER_REQUEST. */
  planLimit?: number;
  /** Keeps work going after the response (EdgeRuntime.waitUntil on Supabase). */
  waitUntil: (work: Promise<unknown>) => void;
}

/**
 * Appointments one request plans: 2 batches of 500. 10,000 planned in one request went past
 * the hard limit of 2 s; with this bound `bench reminders` planned them in 7.2 s, no worker
 * killed.
 */
export const PLAN_PER_REQUEST = 1000;

/** pg_cron posts `{}`: anything much bigger is not pg_cron. */
const MAX_BODY_BYTES = 64 * 1024;

export function createSendRemindersHandler(
  deps: SendRemindersDeps,
): (req: Request) => Promise<Response> {
  const clock = deps.clock ?? (() => new Date());
  return async (req: Request) => {
    const refused = refuseWithoutSecret(req, deps.webhookSecret);
    if (refused) {
      await req.body?.cancel();
      return refused;
    }
    if (req.method !== "POST") return errorResponse(405, `Use POST, not ${req.method}`);
    // pg_cron's body says nothing the function needs: not read at all, and a caller who
    // declares a big one is told so rather than ignored.
    await req.body?.cancel();
    if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
      return errorResponse(413, new BodyTooLargeError(MAX_BODY_BYTES).message);
    }
    const inBackground = (what: string, work: () => Promise<void>) =>
      deps.waitUntil(
        work().catch((err) =>
          console.error(maskPII(`${what} failed: ${(err as Error).stack ?? err}`))
        ),
      );
    // After each batch that planned reminders, and at the end for what fell due meanwhile.
    let drainAsked = false;
    const drainSoon = () => {
      drainAsked = true;
      inBackground("drain request", deps.drain);
    };
    try {
      // Sending starts with the first batch planned, while the rest are being planned.
      const { handled, more } = await planDueReminders(deps.sql, {
        setup: deps.setup,
        now: clock(),
        limit: deps.planLimit ?? PLAN_PER_REQUEST,
        onPlanned: drainSoon,
      });
      if (!drainAsked) drainSoon();
      if (more) inBackground("planning hand-on", deps.planMore);
      return jsonResponse(200, { appointments_planned: handled, more });
    } catch (err) {
      console.error(maskPII(`send-reminders failed: ${(err as Error).stack ?? err}`));
      return errorResponse(500, "send-reminders could not finish; the next run takes it up");
    }
  };
}
