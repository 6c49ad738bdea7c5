/**
 * Is the notification system healthy? The plan's alert triggers (§8.2) as one pure rule over
 * a snapshot of the outbox (public.outbox_health), the last 24 hours' success rates
 * (public.notification_metrics_24h) and the providers (public.provider_health):
 *
 *   failing   a dead letter, a backlog over 100, a message waiting over an hour, or a provider
 *             that failed 5 times in a row: customers are not hearing from us
 *   degraded  email success under 95 % or SMS success under 98 %: most get through, some not;
 *             or first texts held by the guard (shared/notify_lead/first_texts.ts) until the
 *             admin has looked; or the day's SMS spend at 80 % of its budget, or spent
 *             (public.sms_spend_today: texts then stop, emails go)
 *   healthy   none of these
 *
 * The health function answers with it, and the sweep alerts the admin on it.
 */
import type postgres from "postgres";
import type { Channel } from "../outbox/store.ts";
import { FIRST_TEXT_HOLD } from "../notify_lead/first_texts.ts";
import { maskPhone } from "../platform/mask.ts";
import { readSpend } from "../leads/lead_store.ts";
import {
  BUDGET_WARNING_SHARE,
  smsBudgetSpent,
  type SmsSpend,
  usd,
} from "../compliance/sms_budget.ts";

export type HealthStatus = "healthy" | "degraded" | "failing";

/** The outbox's state now (public.outbox_health). */
export interface OutboxFigures {
  pending: number;
  sending: number;
  retry: number;
  deferred: number;
  dead_letters: number;
  queue_depth: number;
  oldest_waiting_seconds: number;
}

/** A provider's record (public.provider_health). */
export interface ProviderFigures {
  provider: string;
  channel: Channel;
  last_success_at: Date | null;
  failures_in_a_row: number;
  /** Its circuit (provider_circuits): open or half_open while its email fails over. */
  circuit?: string;
  circuit_opened_at?: Date | null;
}

export interface HealthSnapshot {
  outbox: OutboxFigures;
  /**
   * Per channel, the last 24 hours' success rate and how many messages it is over (sent or
   * failed); null when none has settled.
   */
  successRatePct: Record<Channel, number | null>;
  settled: Record<Channel, number>;
  providers: ProviderFigures[];
  /** Confirmation texts the first-text guard holds, and the hourly limit that held them. */
  heldTexts: { count: number; masked: string[]; perHour: number };
  /** The day's SMS spend against its budget. */
  smsSpend: SmsSpend;
}

export const THRESHOLDS = {
  /** Messages waiting to be sent now. */
  queueDepth: 100,
  /** How long the longest-waiting message may wait. */
  oldestWaitingSeconds: 3600,
  /** Dead letters allowed. */
  deadLetters: 0,
  /** Success rates under these degrade; webhooks have no bar in the plan. */
  successRatePct: { email: 95, sms: 98 } as Partial<Record<Channel, number>>,
  /**
   * A rate is judged over at least this many settled messages: on a quiet day one mistyped
   * address would otherwise put email at 50 % and text the admin about it.
   */
  minimumSample: 10,
  /** Failed attempts in a row that make a provider failing. */
  failuresInARow: 5,
};
export type Thresholds = typeof THRESHOLDS;

/** What an alert is about: one per condition, so each is raised and cleared on its own. */
export type Condition =
  | "dead_letters"
  | "backlog"
  | "stale_message"
  | `${Channel}_success_rate`
  | `${string}_failures`
  | `${string}_failover`
  | "held_first_texts"
  | "sms_budget_warning"
  | "sms_budget_spent";

export interface Problem {
  condition: Condition;
  severity: Exclude<HealthStatus, "healthy">;
  /** The channel it is about, when it is about one. */
  channel: Channel | null;
  value: number;
  threshold: number;
  /** One line with the numbers, for the admin (no personal data). */
  summary: string;
  /** Told when first seen and when it clears, never again while it lasts (a day's budget). */
  once?: boolean;
}

export interface HealthAssessment {
  status: HealthStatus;
  problems: Problem[];
}

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

/** The problems in a snapshot, and the status they add up to. */
export function assessHealth(
  snapshot: HealthSnapshot,
  thresholds: Thresholds = THRESHOLDS,
): HealthAssessment {
  const problems: Problem[] = [];
  const { outbox } = snapshot;
  if (outbox.dead_letters > thresholds.deadLetters) {
    problems.push({
      condition: "dead_letters",
      severity: "failing",
      channel: null,
      value: outbox.dead_letters,
      threshold: thresholds.deadLetters,
      summary:
        `${outbox.dead_letters} dead letter(s) in the outbox: messages that were given up on (replay_dead_letters() sends them again)`,
    });
  }
  if (outbox.queue_depth > thresholds.queueDepth) {
    problems.push({
      condition: "backlog",
      severity: "failing",
      channel: null,
      value: outbox.queue_depth,
      threshold: thresholds.queueDepth,
      summary:
        `${outbox.queue_depth} messages waiting to be sent (more than ${thresholds.queueDepth})`,
    });
  }
  if (outbox.oldest_waiting_seconds > thresholds.oldestWaitingSeconds) {
    problems.push({
      condition: "stale_message",
      severity: "failing",
      channel: null,
      value: outbox.oldest_waiting_seconds,
      threshold: thresholds.oldestWaitingSeconds,
      summary: `A message has waited ${minutes(outbox.oldest_waiting_seconds)} to be sent (over ${
        minutes(thresholds.oldestWaitingSeconds)
      })`,
    });
  }
  for (const [channel, bar] of Object.entries(thresholds.successRatePct) as [Channel, number][]) {
    const rate = snapshot.successRatePct[channel];
    const sample = snapshot.settled[channel] ?? 0;
    if (rate !== null && rate !== undefined && sample >= thresholds.minimumSample && rate < bar) {
      problems.push({
        condition: `${channel}_success_rate`,
        severity: "degraded",
        channel,
        value: rate,
        threshold: bar,
        summary: `${
          channel === "sms" ? "SMS" : "Email"
        } success rate ${rate}% over 24 h (under ${bar}%)`,
      });
    }
  }
  for (const p of snapshot.providers) {
    const failingOver = p.circuit !== undefined && p.circuit !== "closed";
    if (failingOver) {
      // One alert when email leaves the provider and one when it comes back (the cleared
      // notice); its probes failing meanwhile are this condition, not a second one.
      problems.push({
        condition: `${p.provider}_failover`,
        severity: "degraded",
        channel: p.channel,
        value: p.failures_in_a_row,
        threshold: thresholds.failuresInARow,
        summary: `${p.provider} is failing: email goes through SendGrid since ${
          p.circuit_opened_at?.toISOString() ?? "now"
        } (last success ${p.last_success_at?.toISOString() ?? "never"})`,
      });
    } else if (p.failures_in_a_row >= thresholds.failuresInARow) {
      problems.push({
        condition: `${p.provider}_failures`,
        severity: "failing",
        channel: p.channel,
        value: p.failures_in_a_row,
        threshold: thresholds.failuresInARow,
        summary: `${p.provider} failed ${p.failures_in_a_row} times in a row (last success ${
          p.last_success_at?.toISOString() ?? "never"
        })`,
      });
    }
  }
  const held = snapshot.heldTexts;
  if (held.count > 0) {
    problems.push({
      condition: "held_first_texts",
      severity: "degraded",
      channel: "sms",
      value: held.count,
      threshold: held.perHour,
      summary: `${held.count} confirmation text(s) held: more than ${held.perHour} an hour to ` +
        `numbers never texted before (${held.masked.join(", ")}${
          held.count > held.masked.length ? ", …" : ""
        }). Their leads were saved and emailed. If they are real customers, ` +
        "select release_held_texts() sends them",
    });
  }
  problems.push(...smsBudgetProblems(snapshot.smsSpend));
  const status: HealthStatus = problems.some((p) => p.severity === "failing")
    ? "failing"
    : problems.length > 0
    ? "degraded"
    : "healthy";
  return { status, problems };
}

/**
 * The day's SMS budget: at 80 % the admin is told once (time to raise it or look at who is
 * texting), and once more when it is spent and texts stop. Both clear with the shop's next day.
 */
function smsBudgetProblems(spend: SmsSpend): Problem[] {
  if (spend.budgetUsd > 0 && spend.spentUsd < spend.budgetUsd * BUDGET_WARNING_SHARE) return [];
  const pct = spend.budgetUsd > 0 ? Math.floor((100 * spend.spentUsd) / spend.budgetUsd) : 100;
  const spent = `SMS spend today ${usd(spend.spentUsd)} of the ${
    usd(spend.budgetUsd)
  } daily budget (${pct} %)`;
  const base = { severity: "degraded", channel: "sms", value: spend.spentUsd, once: true } as const;
  const problems: Problem[] = [{
    ...base,
    condition: "sms_budget_warning",
    threshold: spend.budgetUsd * BUDGET_WARNING_SHARE,
    summary: `${spent}: at ${
      Math.round(BUDGET_WARNING_SHARE * 100)
    } %, texts stop at 100 % (business_settings.sms_daily_budget_usd)`,
  }];
  if (smsBudgetSpent(spend)) {
    problems.push({
      ...base,
      condition: "sms_budget_spent",
      threshold: spend.budgetUsd,
      summary: `${spent}: texts to customers and staff are suppressed (sms_budget_spent) ` +
        "until tomorrow; customers are confirmed by email. Raise " +
        "business_settings.sms_daily_budget_usd to send them again",
    });
  }
  return problems;
}

/** Reads the snapshot from the dashboard's views: what an admin sees is what is judged. */
export async function loadHealthSnapshot(sql: postgres.Sql): Promise<HealthSnapshot> {
  // One call with the owner's rights (public.health_snapshot): the health function's role
  // reads no table, leads least of all.
  const [{ figures }] = await sql<{ figures: StoredFigures }[]>`
    select public.health_snapshot(${FIRST_TEXT_HOLD}) as figures`;
  const successRatePct: Record<Channel, number | null> = { email: null, sms: null, webhook: null };
  const settled: Record<Channel, number> = { email: 0, sms: 0, webhook: 0 };
  for (const r of figures.rates) {
    successRatePct[r.channel] = r.success_rate_pct === null ? null : Number(r.success_rate_pct);
    settled[r.channel] = Number(r.settled);
  }
  return {
    outbox: figures.outbox,
    successRatePct,
    settled,
    providers: figures.providers.map((p) => ({
      ...p,
      last_success_at: p.last_success_at === null ? null : new Date(p.last_success_at),
      circuit_opened_at: p.circuit_opened_at === null ? null : new Date(p.circuit_opened_at),
    })),
    heldTexts: {
      count: figures.held.count,
      masked: figures.held.recipients.map(maskPhone),
      perHour: figures.per_hour,
    },
    smsSpend: readSpend(figures.sms_spend),
  };
}

/** public.health_snapshot()'s answer, as JSON carries it (times as strings). */
interface StoredFigures {
  outbox: OutboxFigures;
  rates: { channel: Channel; success_rate_pct: number | string | null; settled: number }[];
  providers: (Omit<ProviderFigures, "last_success_at" | "circuit_opened_at"> & {
    last_success_at: string | null;
    circuit_opened_at: string | null;
  })[];
  held: { count: number; recipients: string[] };
  per_hour: number;
  /** public.sms_spend_today's figures, null without a settings row (numerics as strings). */
  sms_spend: SmsSpend | null;
}
