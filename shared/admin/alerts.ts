/**
 * The admin's alerts, checked by every sweep: each health problem (health.ts) is a condition
 * the admin hears about when it is first seen, once an hour while it lasts (a problem marked
 * `once`, the day's SMS budget, not again), and once when it clears. By text when email is
 * the failing channel (an email about email failing may never arrive), by email otherwise.
 *
 * `admin_alerts` keeps where each condition stands. Sweeps that run at once take turns (a
 * transaction-scoped advisory lock) and each alert's outbox key names its condition, episode
 * and occurrence, so two sweeps never alert twice.
 */
import type postgres from "postgres";
import type { Channel } from "../outbox/store.ts";
import { insertIfAbsent, type NewOutboxRow, type OutboxRow } from "../outbox/store.ts";
import { ALERT_KINDS } from "../messages/alert_kinds.ts";
import type { MessageSetup } from "../messages/setup.ts";
import { rankOf } from "../messages/catalog.ts";
import type { AlertNotice } from "../../templates/alert_notice.ts";
import {
  assessHealth,
  type Condition,
  type HealthAssessment,
  type HealthSnapshot,
  loadHealthSnapshot,
  type Problem,
} from "./health.ts";

/** A row of public.admin_alerts. */
export interface AlertState {
  condition: string;
  raised_at: Date;
  cleared_at: Date | null;
  notified_at: Date;
  notifications: number;
  summary: string;
}

/** One alert to send, and the state it leaves its condition in. */
export interface AlertDecision {
  notice: AlertNotice;
  state: AlertState;
  /** The outbox key: one per condition, episode and occurrence. */
  key: string;
}

/** While a condition lasts, the admin is told again after this long. */
export const REMIND_EVERY_MS = 3600_000;

const isActive = (s: AlertState | undefined): s is AlertState => !!s && s.cleared_at === null;

/**
 * What to tell the admin at `now`, given the problems found and where each condition stood:
 * new problems are raised, problems told about an hour ago or more are told again, and
 * conditions no longer found are cleared.
 */
export function decideAlerts(
  assessment: HealthAssessment,
  states: AlertState[],
  now: Date,
): AlertDecision[] {
  const byCondition = new Map(states.map((s) => [s.condition, s]));
  const decisions: AlertDecision[] = [];
  const episode = (s: AlertState) => `admin_alert:${s.condition}:${s.raised_at.toISOString()}`;
  for (const problem of assessment.problems) {
    const was = byCondition.get(problem.condition);
    if (!isActive(was)) {
      const state: AlertState = {
        condition: problem.condition,
        raised_at: now,
        cleared_at: null,
        notified_at: now,
        notifications: 1,
        summary: problem.summary,
      };
      decisions.push({
        notice: notice(problem, "raised", state, assessment),
        state,
        key: `${episode(state)}:raised`,
      });
    } else if (!problem.once && now.getTime() - was.notified_at.getTime() >= REMIND_EVERY_MS) {
      const state: AlertState = {
        ...was,
        notified_at: now,
        notifications: was.notifications + 1,
        summary: problem.summary,
      };
      decisions.push({
        notice: notice(problem, "ongoing", state, assessment),
        state,
        key: `${episode(state)}:${state.notifications}`,
      });
    }
  }
  const found = new Set<string>(assessment.problems.map((p) => p.condition));
  for (const was of states) {
    if (!isActive(was) || found.has(was.condition)) continue;
    const state: AlertState = {
      ...was,
      cleared_at: now,
      notified_at: now,
      notifications: was.notifications + 1,
    };
    decisions.push({
      notice: {
        condition: was.condition as Condition,
        state: "cleared",
        summary: `was: ${was.summary}`,
        since: was.raised_at.toISOString(),
        health: assessment.status,
      },
      state,
      key: `${episode(state)}:cleared`,
    });
  }
  return decisions;
}

function notice(
  problem: Problem,
  state: AlertNotice["state"],
  alert: AlertState,
  assessment: HealthAssessment,
): AlertNotice {
  return {
    condition: problem.condition,
    state,
    summary: problem.summary,
    since: alert.raised_at.toISOString(),
    health: assessment.status,
  };
}

/** Email is failing: its success rate is under the bar, or Resend keeps failing. */
export function alertChannel(assessment: HealthAssessment): Channel {
  const emailFailing = assessment.problems.some((p) =>
    p.channel === "email" &&
    (p.condition === "email_success_rate" || p.condition.endsWith("_failures"))
  );
  return emailFailing ? "sms" : "email";
}

/** The outbox rows of the decisions: texts when email is failing and a phone is known. */
export function alertRows(
  decisions: AlertDecision[],
  assessment: HealthAssessment,
  setup: MessageSetup,
): NewOutboxRow[] {
  const sms = ALERT_KINDS.admin_alert_sms.address(setup);
  const bySms = alertChannel(assessment) === "sms" && sms.recipient !== null;
  const template = bySms ? "admin_alert_sms" : "admin_alert_email";
  const recipient = bySms ? sms.recipient : ALERT_KINDS.admin_alert_email.address(setup).recipient;
  return decisions.map((d) => ({
    key: d.key,
    lead_id: null,
    channel: bySms ? "sms" : "email",
    template,
    recipient,
    status: "pending",
    status_reason: null,
    rank: rankOf(template),
    next_attempt_at: null,
    payload: { alert: d.notice },
  }));
}

/**
 * The sweep's check: reads the health, decides and records the alerts in one transaction.
 * `snapshot` is for tests that judge a made-up state; by default the views are read.
 */
export async function planAlerts(
  sql: postgres.Sql,
  opts: { setup: MessageSetup; now: Date; snapshot?: HealthSnapshot },
): Promise<OutboxRow[]> {
  const assessment = assessHealth(opts.snapshot ?? await loadHealthSnapshot(sql));
  return await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('leadwire:admin_alerts'))`;
    const states = await tx<AlertState[]>`
      select condition, raised_at, cleared_at, notified_at, notifications, summary
      from public.admin_alerts`;
    const decisions = decideAlerts(assessment, states, opts.now);
    if (decisions.length === 0) return [] as OutboxRow[];
    await tx`
      insert into public.admin_alerts ${
      tx(decisions.map((d) => d.state), [
        "condition",
        "raised_at",
        "cleared_at",
        "notified_at",
        "notifications",
        "summary",
      ])
    }
      on conflict (condition) do update set
        raised_at = excluded.raised_at, cleared_at = excluded.cleared_at,
        notified_at = excluded.notified_at, notifications = excluded.notifications,
        summary = excluded.summary`;
    return await insertIfAbsent(tx, alertRows(decisions, assessment, opts.setup));
  }) as OutboxRow[];
}
