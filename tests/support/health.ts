/** Health snapshots for tests: all calm, and the same with one thing changed. */
import type { HealthSnapshot } from "../../shared/admin/health.ts";

/** Nothing waiting, nothing dead, every rate at 100 % over 50 messages, no provider failing. */
export const calm: HealthSnapshot = {
  outbox: {
    pending: 0,
    sending: 0,
    retry: 0,
    deferred: 0,
    dead_letters: 0,
    queue_depth: 0,
    oldest_waiting_seconds: 0,
  },
  successRatePct: { email: 100, sms: 100, webhook: 100 },
  settled: { email: 50, sms: 50, webhook: 50 },
  providers: [
    { provider: "resend", channel: "email", last_success_at: null, failures_in_a_row: 0 },
    { provider: "twilio", channel: "sms", last_success_at: null, failures_in_a_row: 0 },
    { provider: "webhooks", channel: "webhook", last_success_at: null, failures_in_a_row: 0 },
  ],
  heldTexts: { count: 0, masked: [], perHour: 30 },
  smsSpend: { spentUsd: 0, budgetUsd: 50 },
};

/** `calm` with some figures changed: `failures` by provider name. */
export function snapshot(change: {
  outbox?: Partial<HealthSnapshot["outbox"]>;
  rates?: Partial<HealthSnapshot["successRatePct"]>;
  settled?: Partial<HealthSnapshot["settled"]>;
  failures?: Record<string, number>;
  heldTexts?: HealthSnapshot["heldTexts"];
  smsSpend?: HealthSnapshot["smsSpend"];
}): HealthSnapshot {
  return {
    heldTexts: change.heldTexts ?? calm.heldTexts,
    smsSpend: change.smsSpend ?? calm.smsSpend,
    outbox: { ...calm.outbox, ...change.outbox },
    successRatePct: { ...calm.successRatePct, ...change.rates },
    settled: { ...calm.settled, ...change.settled },
    providers: calm.providers.map((p) => ({
      ...p,
      failures_in_a_row: change.failures?.[p.provider] ?? 0,
    })),
  };
}
