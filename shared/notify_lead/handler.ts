/**
 * notify-lead's request handling: who may call, what they sent, what to do.
 *
 *   POST /notify-lead        database webhook for a new lead → plan its messages, answer 202,
 *                            send in the background; for an appointment scheduled or
 *                            cancelled (lead_activities) → plan the customer's confirmation,
 *                            update or cancellation the same way
 *   POST /notify-lead/sweep  pg_cron, every minute → dead-letter expired leases, plan leads and
 *                            appointments the webhooks missed, escalate leads nobody acted
 *                            on in time, alert the admin on the system's health (once per
 *                            condition per hour, and on clearing), delete the Storage objects
 *                            the retention purge queued, send everything due; answers
 *                            when done, or at once with {"wait": false} (what pg_cron sends)
 *   POST /notify-lead/drain  a drain that stopped at its bound hands the rest on → answer 202,
 *                            drain in the background (in whichever worker the runtime picks:
 *                            a fresh one once the caller's is retired)
 *
 * Both require the shared secret in `x-webhook-secret`.
 */
import type postgres from "postgres";
import {
  BodyTooLargeError,
  errorResponse,
  jsonResponse,
  readJsonWithin,
  refuseWithoutSecret,
} from "../platform/http.ts";
import {
  appointmentActivityPayload,
  describeIssues,
  leadInsertPayload,
  sweepRequest,
} from "./webhook_payload.ts";
import { planAppointmentNotifications } from "../appointments/plan.ts";
import { findUnplannedAppointments } from "../appointments/store.ts";
import { findUnplannedLeads, planLeadsNotifications } from "./plan.ts";
import { planEscalations } from "./escalate.ts";
import { planAlerts } from "../admin/alerts.ts";
import { createBatcher } from "../platform/batcher.ts";
import { whileDatabaseAway } from "../platform/db_retry.ts";
import { deadLetterExpired } from "../outbox/store.ts";
import type { DrainStats } from "../outbox/drain.ts";
import { DrainScheduler, type Sleep } from "../outbox/drain_scheduler.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { maskPII } from "../platform/mask.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";
import type { StorageDeletionStats } from "../retention/storage_deletions.ts";

export interface NotifyLeadDeps {
  sql: postgres.Sql;
  /** `NOTIFY_WEBHOOK_SECRET` (and `NOTIFY_WEBHOOK_SECRET_PREVIOUS` during a rotation). */
  webhookSecret: VerifyingSecret;
  /** The deployment's message settings (admin inbox, configured webhooks). */
  setup: MessageSetup;
  /** The time planning decisions are made at. Default: the system clock. */
  clock?: () => Date;
  /**
   * Drains the outbox (sending everything due) and reports what happened; while it waits for
   * a retry to fall due, it waits with `sleep`, which a new webhook cuts short.
   */
  drain: (sleep: Sleep) => Promise<DrainStats>;
  /** Keeps work going after the response (EdgeRuntime.waitUntil on Supabase). */
  waitUntil: (work: Promise<unknown>) => void;
  /**
   * Asks for another drain by a request of its own (POST /notify-lead/drain), after a drain
   * stopped at its bound or handed rows back: the runtime serves it in a worker with budget.
   */
  handOn?: () => Promise<void>;
  /** A lead unplanned this long after insert is the sweep's to plan. */
  sweepGraceSeconds?: number;
  /** Deletes a batch of the Storage objects the retention purge queued (storage_deletions). */
  deleteQueuedObjects?: () => Promise<StorageDeletionStats>;
}

/**
 * A lead unplanned this long is the sweep's: its webhook was lost (pg_net's queue does not
 * survive a crash) or failed. Short, so a lost webhook costs at most a cron minute and this;
 * planning twice is harmless (insert-if-absent).
 */
const SWEEP_GRACE_SECONDS = 10;

/**
 * The largest body taken: a database webhook's row (a lead's longest fields are a few KB) with
 * room to spare. Anything bigger is refused (413) unread.
 */
const MAX_BODY_BYTES = 256 * 1024;

/** Most leads planned in one transaction. */
const PLAN_BATCH = 100;
/** How long a webhook waits for a database that is away (pg_net gives up after 10 s). */
const PLAN_PATIENCE_MS = 5_000;

export function createNotifyLeadHandler(deps: NotifyLeadDeps): (req: Request) => Promise<Response> {
  const scheduler = new DrainScheduler(deps.drain);
  const clock = deps.clock ?? (() => new Date());
  // Webhooks of a burst arrive together: their leads are planned together, a batch at a time.
  // Planning is insert-if-absent, so a transaction cut off with its connection is simply
  // run again; a database away for longer fails the webhook, and the sweep plans the lead.
  const planInBatch = createBatcher(
    (ids: string[]) =>
      whileDatabaseAway(
        () => planLeadsNotifications(deps.sql, ids, { setup: deps.setup, now: clock() }),
        { deadline: Date.now() + PLAN_PATIENCE_MS },
      ),
    { max: PLAN_BATCH },
  );
  // Many webhooks share one drain: its failure is logged once, not once per webhook.
  const reported = new WeakSet<Promise<unknown>>();
  const handOn = (stats: DrainStats) => {
    if (!deps.handOn || (!stats.more && stats.released === 0)) return;
    deps.waitUntil(
      deps.handOn().catch((err) =>
        console.error(`could not hand the drain on (the sweep will): ${(err as Error).message}`)
      ),
    );
  };
  const drainInBackground = () => {
    const drain = scheduler.request();
    if (!reported.has(drain)) {
      reported.add(drain);
      drain.then(handOn, (err) => console.error(maskPII(`drain failed: ${(err as Error).stack}`)));
    }
    deps.waitUntil(drain.catch(() => {}));
  };

  async function webhook(req: Request): Promise<Response> {
    let body: unknown;
    try {
      body = await readJsonWithin(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return errorResponse(413, err.message);
      return errorResponse(400, "Request body is not valid JSON");
    }
    if ((body as { table?: unknown } | null)?.table === "lead_activities") {
      return await appointmentWebhook(body);
    }
    const parsed = leadInsertPayload.safeParse(body);
    if (!parsed.success) {
      return errorResponse(400, "Not a new-lead webhook payload", describeIssues(parsed.error));
    }
    const leadId = parsed.data.record.id;
    const created = await planInBatch(leadId);
    if (!created) return errorResponse(404, `Lead ${leadId} not found`);
    drainInBackground();
    return jsonResponse(202, {
      lead_id: leadId,
      planned: created.length,
      messages: created.map((r) => ({ key: r.key, status: r.status, reason: r.status_reason })),
    });
  }

  async function appointmentWebhook(body: unknown): Promise<Response> {
    const parsed = appointmentActivityPayload.safeParse(body);
    if (!parsed.success) {
      return errorResponse(400, "Not an appointment webhook payload", describeIssues(parsed.error));
    }
    const leadId = parsed.data.record.lead_id;
    const created = await whileDatabaseAway(
      () => planAppointmentNotifications(deps.sql, [leadId], { setup: deps.setup, now: clock() }),
      { deadline: Date.now() + PLAN_PATIENCE_MS },
    );
    drainInBackground();
    return jsonResponse(202, {
      lead_id: leadId,
      planned: created.length,
      messages: created.map((r) => ({ key: r.key, status: r.status, reason: r.status_reason })),
    });
  }

  async function sweep(req: Request): Promise<Response> {
    let body: unknown;
    try {
      body = await readJsonWithin(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return errorResponse(413, err.message);
      body = {};
    }
    const grace = sweepRequest.safeParse(body);
    if (!grace.success) {
      return errorResponse(400, "Not a sweep request", describeIssues(grace.error));
    }
    const deadLettered = await deadLetterExpired(deps.sql);
    const graceSeconds = grace.data.grace_seconds ?? deps.sweepGraceSeconds ??
      SWEEP_GRACE_SECONDS;
    const unplanned = await findUnplannedLeads(deps.sql, graceSeconds);
    // Appointments whose webhook was lost: their confirmation or cancellation.
    const appointments = await findUnplannedAppointments(deps.sql, graceSeconds);
    let planned = appointments.length === 0
      ? 0
      : (await planAppointmentNotifications(deps.sql, appointments, {
        setup: deps.setup,
        now: clock(),
      })).length;
    for (let i = 0; i < unplanned.length; i += PLAN_BATCH) {
      // A lead deleted since it was found is simply not planned.
      const created = await planLeadsNotifications(deps.sql, unplanned.slice(i, i + PLAN_BATCH), {
        setup: deps.setup,
        now: clock(),
      });
      for (const rows of created.values()) planned += rows.length;
    }
    const escalations = await planEscalations(deps.sql, { setup: deps.setup, now: clock() });
    planned += escalations.length;
    // The health check must not keep the sweep from sending: a failure is logged, and the
    // next minute's sweep checks again.
    const alerts = await planAlerts(deps.sql, { setup: deps.setup, now: clock() }).catch((err) => {
      console.error(maskPII(`alert check failed: ${(err as Error).stack ?? err}`));
      return [];
    });
    planned += alerts.length;
    // Like the health check, Storage being down must not keep the sweep from sending.
    const storage = await (deps.deleteQueuedObjects?.() ?? Promise.resolve(undefined)).catch(
      (err) => {
        console.error(maskPII(`storage deletions failed: ${(err as Error).stack ?? err}`));
        return undefined;
      },
    );
    const report = {
      dead_lettered: deadLettered.length,
      leads_planned: unplanned.length,
      leads_escalated: new Set(escalations.map((r) => r.lead_id)).size,
      appointments_planned: appointments.length,
      alerts_planned: alerts.length,
      messages_planned: planned,
      storage_objects_deleted: storage?.deleted ?? 0,
    };
    if (grace.data.wait === false) {
      drainInBackground();
      return jsonResponse(200, { ...report, draining: true });
    }
    const stats = await scheduler.request();
    handOn(stats);
    const { sent, retried, dead, suppressed, deferred } = stats;
    return jsonResponse(200, { ...report, sent, retried, dead, suppressed, deferred });
  }

  return async (req: Request) => {
    // The secret first: a stranger learns nothing, and nothing of its body is read.
    const refused = refuseWithoutSecret(req, deps.webhookSecret);
    if (refused) {
      await req.body?.cancel();
      return refused;
    }
    const path = new URL(req.url).pathname.replace(/\/+$/, "");
    const route = path.endsWith("/sweep")
      ? "sweep"
      : path.endsWith("/drain")
      ? "drain"
      : path.endsWith("/notify-lead") || path === ""
      ? "webhook"
      : null;
    if (!route) {
      return errorResponse(
        404,
        `No route ${path}: POST /notify-lead, /notify-lead/sweep or /notify-lead/drain`,
      );
    }
    if (req.method !== "POST") return errorResponse(405, `Use POST, not ${req.method}`);
    if (route === "drain") {
      await req.body?.cancel();
      drainInBackground();
      return jsonResponse(202, { draining: true });
    }
    try {
      return route === "sweep" ? await sweep(req) : await webhook(req);
    } catch (err) {
      console.error(maskPII(`notify-lead ${route} failed: ${(err as Error).stack ?? err}`));
      return errorResponse(
        500,
        `notify-lead could not finish the ${route}; nothing was lost (the sweep retries)`,
      );
    }
  };
}
