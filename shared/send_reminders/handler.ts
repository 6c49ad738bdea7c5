/**
 * send-reminders' request handling. pg_cron posts here every minute (with the shared secret
 * from Vault, like the sweep): the reminders of appointments within reach are planned, each
 * once per appointment version whatever the number of calls or instances, and the answer
 * comes as soon as they are; what is due in the outbox is sent in the background from the
 * first batch planned on (pg_net takes no new request while one of its batch is unanswered).
 * Each reminder waits in the outbox until its time.
 */
import type postgres from "postgres";
import {
  BodyTooLargeError,
  errorResponse,
  jsonResponse,
  refuseWithoutSecret,
} from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import type { MessageSetup } from "../messages/setup.ts";
import type { DrainStats } from "../outbox/drain.ts";
import { planDueReminders } from "../appointments/plan.ts";

export interface SendRemindersDeps {
  sql: postgres.Sql;
  webhookSecret: string;
  setup: MessageSetup;
  /** The time every decision is made at. Default: the system clock. */
  clock?: () => Date;
  /** Sends what is due in the outbox. */
  drain: () => Promise<DrainStats>;
  /** Keeps work going after the response (EdgeRuntime.waitUntil on Supabase). */
  waitUntil: (work: Promise<unknown>) => void;
}

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
    const drainSoon = () =>
      deps.waitUntil(
        deps.drain().catch((err) =>
          console.error(maskPII(`drain failed: ${(err as Error).stack ?? err}`))
        ),
      );
    try {
      // Sending starts with the first batch planned, while the rest are being planned.
      const appointments = await planDueReminders(deps.sql, {
        setup: deps.setup,
        now: clock(),
        onPlanned: drainSoon,
      });
      drainSoon();
      return jsonResponse(200, { appointments_planned: appointments });
    } catch (err) {
      console.error(maskPII(`send-reminders failed: ${(err as Error).stack ?? err}`));
      return errorResponse(500, "send-reminders could not finish; the next run takes it up");
    }
  };
}
