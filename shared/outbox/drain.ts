/**
 * Drains the outbox: claims due rows, renders and sends them, and records each outcome.
 * Emails due together go out through Resend's batch endpoint (≤100 per call) under the
 * 2 requests/s limit; SMS go one call each, a few at a time. Any number of drains may run
 * at once (claims skip rows another drain holds).
 */
import type postgres from "postgres";
import type { Resend } from "resend";
import type { TwilioClient } from "../providers/twilio_client.ts";
import type { StorageClient } from "../providers/storage_client.ts";
import type { BusinessSettings, Lead, Media } from "../types.ts";
import {
  claim,
  markDead,
  markDeferred,
  markRetry,
  markSent,
  markSuppressed,
  nextDueWithin,
  type OutboxRow,
} from "./store.ts";
import { decideAfterFailure, describeFailure, type RetryPolicy } from "./retry_policy.ts";
import { BATCH_LIMIT, type OutgoingEmail, sendEmailBatch, type SendResult } from "./send_email.ts";
import { sendSms } from "./send_sms.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { renderMessage } from "../messages/render.ts";
import type { TemplateName } from "../messages/plan_new_lead.ts";
import { calculateLeadPriority } from "../priority.ts";
import { dailySmsCap, nextAllowedSendTime, timeZoneForLead } from "../quiet_hours.ts";
import {
  countSmsSentLastDay,
  loadBusinessSettings,
  loadLeads,
  loadMediaByLead,
  loadSmsConsent,
  recordProviderOptOut,
} from "../lead_store.ts";
import { type ActivityEntry, logActivities } from "../activity_log.ts";
import { maskPII } from "../mask.ts";

export interface DrainDeps {
  sql: postgres.Sql;
  resend: Resend;
  twilio: TwilioClient;
  storage: StorageClient;
  fromEmail: string;
  fromPhone: string;
  /** Where Twilio posts delivery status (twilio-inbound), when deployed. */
  smsStatusCallbackUrl?: string;
  resendLimiter: RateLimiter;
  retryPolicy?: RetryPolicy;
}

export interface DrainOptions {
  /** Only these message keys (the webhook sends its own messages first). */
  onlyKeys?: string[];
  /** Keep draining while a retry falls due within this long (ms). Default 0: stop when nothing is due. */
  lingerMs?: number;
  /** Stop claiming after this moment (ms since epoch). */
  deadline?: number;
  /** Most rows one claim takes. Default 200. */
  claimLimit?: number;
}

export interface DrainStats {
  sent: number;
  retried: number;
  dead: number;
  suppressed: number;
  deferred: number;
}

const CLAIM_LIMIT = 200;
const LEASE_SECONDS = 60;
const SMS_CONCURRENCY = 8;
const PHOTO_LINK_TTL_SECONDS = 7 * 24 * 3600;

/** What to do with one claimed row, decided before any provider is called. */
type Prepared =
  | { row: OutboxRow; kind: "email"; email: OutgoingEmail }
  | { row: OutboxRow; kind: "sms"; body: string; segments: number }
  | { row: OutboxRow; kind: "suppress"; reason: string }
  | { row: OutboxRow; kind: "defer"; reason: string; until: Date }
  | { row: OutboxRow; kind: "dead"; reason: string };

interface BatchContext {
  settings: BusinessSettings;
  leads: Map<string, Lead>;
  media: Map<string, Media[]>;
  consent: Map<string, "opted_in" | "opted_out" | "none">;
  smsSentToday: Map<string, number>;
  now: Date;
}

async function loadContext(deps: DrainDeps, rows: OutboxRow[]): Promise<BatchContext> {
  const leadIds = [
    ...new Set(rows.map((r) => r.lead_id).filter((id): id is string => id !== null)),
  ];
  const phones = [
    ...new Set(rows.filter((r) => r.channel === "sms" && r.recipient).map((r) => r.recipient!)),
  ];
  const [settings, leads, media, consent, smsSentToday] = await Promise.all([
    loadBusinessSettings(deps.sql),
    loadLeads(deps.sql, leadIds),
    loadMediaByLead(deps.sql, leadIds),
    loadSmsConsent(deps.sql, phones),
    countSmsSentLastDay(deps.sql, phones),
  ]);
  return { settings, leads, media, consent, smsSentToday, now: new Date() };
}

async function signedPhotoUrls(storage: StorageClient, media: Media[]): Promise<string[]> {
  const urls: string[] = [];
  const byBucket = Map.groupBy(media, (m) => m.bucket);
  for (const [bucket, items] of byBucket) {
    const { data, error } = await storage.from(bucket).createSignedUrls(
      items.map((m) => m.object_path),
      PHOTO_LINK_TTL_SECONDS,
    );
    if (error) throw new Error(`Cannot sign photo links in bucket ${bucket}: ${error.message}`);
    for (const item of data ?? []) if (item.signedUrl) urls.push(item.signedUrl);
  }
  return urls;
}

/** Checks the SMS rules at send time: consent may have been withdrawn since the plan. */
function smsGate(row: OutboxRow, lead: Lead, ctx: BatchContext): Prepared | undefined {
  const phone = row.recipient!;
  const consent = ctx.consent.get(phone) ?? "none";
  if (consent !== "opted_in") {
    return {
      row,
      kind: "suppress",
      reason: consent === "opted_out" ? "opted_out" : "no_sms_consent",
    };
  }
  const cap = dailySmsCap(ctx.settings.sms_daily_cap, lead.state);
  if ((ctx.smsSentToday.get(phone) ?? 0) >= cap) {
    return { row, kind: "suppress", reason: `daily_cap (${cap} per 24 h)` };
  }
  const allowedAt = nextAllowedSendTime(ctx.now, {
    timeZone: timeZoneForLead(lead, ctx.settings.time_zone),
    startHour: ctx.settings.sms_window_start_hour,
    endHour: ctx.settings.sms_window_end_hour,
    state: lead.state,
  });
  if (allowedAt.getTime() > ctx.now.getTime()) {
    return { row, kind: "defer", reason: "quiet_hours", until: allowedAt };
  }
  return undefined;
}

async function prepare(deps: DrainDeps, row: OutboxRow, ctx: BatchContext): Promise<Prepared> {
  const lead = row.lead_id ? ctx.leads.get(row.lead_id) : undefined;
  if (!lead) return { row, kind: "dead", reason: `lead ${row.lead_id} no longer exists` };
  if (!row.recipient) return { row, kind: "dead", reason: "no recipient" };
  if (row.channel === "sms") {
    const gate = smsGate(row, lead, ctx);
    if (gate) return gate;
  }
  const media = ctx.media.get(lead.id) ?? [];
  const photoUrls = row.template === "staff_new_lead_email" && media.length > 0
    ? await signedPhotoUrls(deps.storage, media)
    : [];
  const priority = calculateLeadPriority(lead, { mediaCount: media.length, now: ctx.now });
  const rendered = await renderMessage(row.template as TemplateName, {
    lead,
    settings: ctx.settings,
    photoUrls,
    priority,
  });
  if (rendered.channel === "sms") {
    // Counted now so two messages to one phone in the same batch both respect the cap.
    ctx.smsSentToday.set(row.recipient, (ctx.smsSentToday.get(row.recipient) ?? 0) + 1);
    return { row, kind: "sms", body: rendered.body, segments: rendered.segments };
  }
  return {
    row,
    kind: "email",
    email: {
      key: row.key,
      from: deps.fromEmail,
      to: row.recipient,
      reply_to: ctx.settings.reply_to_email,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: { "X-Entity-Ref-ID": row.key },
    },
  };
}

async function mapLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

function activityFor(
  row: OutboxRow,
  outcome: "sent" | "failed",
  details: Record<string, unknown>,
  description: string,
): ActivityEntry {
  const type = row.channel === "sms"
    ? (outcome === "sent" ? "sms_sent" : "sms_failed")
    : (outcome === "sent" ? "email_sent" : "email_failed");
  return {
    lead_id: row.lead_id,
    activity_type: type,
    description,
    metadata: {
      template: row.template,
      outbox_key: row.key,
      attempt: row.attempts,
      recipient: row.recipient ? maskPII(row.recipient) : null,
      ...details,
    },
  };
}

/** Applies the providers' answers to the outbox and the activity log. */
async function record(
  deps: DrainDeps,
  sentRows: Array<{ row: OutboxRow; result: SendResult }>,
  stats: DrainStats,
) {
  const activities: ActivityEntry[] = [];
  let throttledForMs = 0;
  const sent = sentRows.filter((s) => s.result.ok);
  await markSent(
    deps.sql,
    sent.map(({ row, result }) => ({
      id: row.id,
      providerMessageId: result.ok ? result.providerMessageId : null,
    })),
  );
  for (const { row, result } of sent) {
    stats.sent++;
    const id = result.ok ? result.providerMessageId : null;
    activities.push(
      activityFor(
        row,
        "sent",
        { provider_message_id: id },
        `${row.template} accepted by ${row.channel === "sms" ? "Twilio" : "Resend"}`,
      ),
    );
  }
  for (const { row, result } of sentRows) {
    if (result.ok) continue;
    const decision = decideAfterFailure(result.failure, row.attempts, row.max_attempts, {
      policy: deps.retryPolicy,
    });
    const error = describeFailure(result.failure);
    if (decision.action === "retry") {
      stats.retried++;
      await markRetry(deps.sql, row.id, error, decision.delayMs, decision.countsAsAttempt);
      if (!decision.countsAsAttempt && row.channel === "email") {
        throttledForMs = Math.max(throttledForMs, decision.delayMs);
      }
      continue;
    }
    stats.dead++;
    await markDead(deps.sql, row.id, decision.reason);
    activities.push(
      activityFor(
        row,
        "failed",
        { error, error_code: result.failure.code ?? null, final: true },
        `${row.template} failed: ${decision.reason}`,
      ),
    );
    if (row.channel === "sms" && result.failure.code === 21610 && row.recipient) {
      await recordProviderOptOut(deps.sql, row.recipient, row.lead_id);
    }
  }
  if (throttledForMs > 0) await deps.resendLimiter.pauseFor(throttledForMs);
  await logActivities(deps.sql, activities);
}

async function settleWithoutSending(deps: DrainDeps, prepared: Prepared[], stats: DrainStats) {
  const activities: ActivityEntry[] = [];
  for (const p of prepared) {
    const base = { template: p.row.template, channel: p.row.channel, outbox_key: p.row.key };
    if (p.kind === "suppress") {
      stats.suppressed++;
      await markSuppressed(deps.sql, p.row.id, p.reason);
      activities.push({
        lead_id: p.row.lead_id,
        activity_type: "notification_suppressed",
        description: `${p.row.template} not sent: ${p.reason}`,
        metadata: { ...base, reason: p.reason },
      });
    } else if (p.kind === "defer") {
      stats.deferred++;
      await markDeferred(deps.sql, p.row.id, p.reason, p.until);
      activities.push({
        lead_id: p.row.lead_id,
        activity_type: "notification_deferred",
        description: `${p.row.template} waits for ${p.until.toISOString()} (${p.reason})`,
        metadata: { ...base, reason: p.reason, until: p.until.toISOString() },
      });
    } else if (p.kind === "dead") {
      stats.dead++;
      await markDead(deps.sql, p.row.id, p.reason);
      activities.push({
        lead_id: p.row.lead_id,
        activity_type: "notification_failed",
        description: `${p.row.template} cannot be sent: ${p.reason}`,
        metadata: { ...base, reason: p.reason },
      });
    }
  }
  await logActivities(deps.sql, activities);
}

async function prepareAll(
  deps: DrainDeps,
  rows: OutboxRow[],
  stats: DrainStats,
): Promise<Prepared[]> {
  const ctx = await loadContext(deps, rows);
  const prepared: Prepared[] = [];
  for (const row of rows) {
    try {
      prepared.push(await prepare(deps, row, ctx));
    } catch (err) {
      // A render or signing failure is ours, not the provider's: retry like a transient error.
      const failure = { message: `could not prepare: ${(err as Error).message}`, network: true };
      await record(deps, [{ row, result: { ok: false, failure } }], stats);
    }
  }
  return prepared;
}

/**
 * Customer messages first, then the rest: a customer is waiting on the other end, and
 * rendering takes a few milliseconds a message, which a burst of hundreds adds up.
 */
function isForCustomer(row: OutboxRow): boolean {
  return row.template.startsWith("customer_") || row.template === "initial_confirmation_sms";
}

function customerFirst(rows: OutboxRow[]): OutboxRow[][] {
  return [rows.filter(isForCustomer), rows.filter((r) => !isForCustomer(r))].filter((g) =>
    g.length > 0
  );
}

type EmailItem = Extract<Prepared, { kind: "email" }>;

/**
 * Sends a drain's emails under the rate limit. Emails wait in one queue; whenever a slot
 * opens, the next call takes everything queued by then (up to BATCH_LIMIT, customers
 * first), so the wait for a slot fills the batch instead of wasting it.
 */
class EmailPump {
  #queue: EmailItem[] = [];
  #running: Promise<void> | null = null;

  constructor(private readonly deps: DrainDeps, private readonly stats: DrainStats) {}

  /** Queues emails; returns the pump's run, which ends when the queue is empty. */
  push(items: EmailItem[]): Promise<void> {
    this.#queue.push(...items);
    this.#running ??= this.#run();
    return this.#running;
  }

  async #run() {
    // Yield once so #running is set before the loop can end; it is cleared in the same tick
    // as the loop's last empty-queue check, so a later push always starts a new run.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        const answered = await this.deps.resendLimiter.take();
        this.#queue = [
          ...this.#queue.filter((e) => isForCustomer(e.row)),
          ...this.#queue.filter((e) => !isForCustomer(e.row)),
        ];
        const chunk = this.#queue.splice(0, BATCH_LIMIT);
        let results: SendResult[];
        try {
          results = await sendEmailBatch(this.deps.resend, chunk.map((c) => c.email));
        } finally {
          await answered();
        }
        await record(
          this.deps,
          chunk.map((c, j) => ({ row: c.row, result: results[j] })),
          this.stats,
        );
      }
    } finally {
      this.#running = null;
    }
  }
}

/** Sends SMS a few at a time; Twilio has no idempotency key, so each SID is recorded right after its send. */
async function sendAllSms(
  deps: DrainDeps,
  items: Array<Extract<Prepared, { kind: "sms" }>>,
  stats: DrainStats,
) {
  await mapLimit(items, SMS_CONCURRENCY, async (item) => {
    const result = await sendSms(deps.twilio, {
      to: item.row.recipient!,
      from: deps.fromPhone,
      body: item.body,
      statusCallback: deps.smsStatusCallbackUrl,
    });
    await record(deps, [{ row: item.row, result }], stats);
  });
}

/**
 * Claims and sends until nothing is due (or lingers for retries falling due soon). The next
 * claim does not wait for the previous sends to be answered: a burst that arrives while one
 * batch is on the wire is claimed and rendered meanwhile.
 */
export async function drainOutbox(deps: DrainDeps, opts: DrainOptions = {}): Promise<DrainStats> {
  const stats: DrainStats = { sent: 0, retried: 0, dead: 0, suppressed: 0, deferred: 0 };
  const deadline = opts.deadline ?? Date.now() + 120_000;
  const inflight = new Set<Promise<void>>();
  const failures: unknown[] = [];
  const emailPump = new EmailPump(deps, stats);
  const track = (work: Promise<void>) => {
    const tracked: Promise<void> = work.catch((err) => void failures.push(err)).finally(() =>
      inflight.delete(tracked)
    );
    inflight.add(tracked);
  };

  while (Date.now() < deadline && failures.length === 0) {
    const rows = await claim(deps.sql, {
      limit: opts.claimLimit ?? CLAIM_LIMIT,
      leaseSeconds: LEASE_SECONDS,
      onlyKeys: opts.onlyKeys,
    });
    if (rows.length === 0) {
      // Sends still on the wire may turn into retries that fall due soon: let them land first.
      if (inflight.size > 0) {
        await Promise.race(inflight);
        continue;
      }
      const lingerMs = Math.min(opts.lingerMs ?? 0, deadline - Date.now());
      if (lingerMs <= 0) break;
      const due = await nextDueWithin(deps.sql, lingerMs);
      if (!due) break;
      await new Promise((r) => setTimeout(r, Math.max(20, due.getTime() - Date.now())));
      continue;
    }
    for (const group of customerFirst(rows)) {
      const prepared = await prepareAll(deps, group, stats);
      await settleWithoutSending(deps, prepared, stats);
      const emails = prepared.filter((p): p is Extract<Prepared, { kind: "email" }> =>
        p.kind === "email"
      );
      const sms = prepared.filter((p): p is Extract<Prepared, { kind: "sms" }> => p.kind === "sms");
      if (emails.length > 0) track(emailPump.push(emails));
      track(sendAllSms(deps, sms, stats));
    }
  }
  await Promise.all(inflight);
  if (failures.length > 0) throw failures[0];
  return stats;
}
