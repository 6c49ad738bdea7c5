/** The first-text guard as a decision: which confirmation texts count, and which are held. */
import assert from "node:assert/strict";
import {
  FIRST_TEXT_HOLD,
  HELD_UNTIL_RELEASED,
  holdFirstTexts,
} from "../../shared/notify_lead/first_texts.ts";
import type { NewOutboxRow } from "../../shared/outbox/store.ts";

function text(n: number, overrides: Partial<NewOutboxRow> = {}): NewOutboxRow {
  return {
    key: `lead-${n}:initial_confirmation_sms`,
    lead_id: `lead-${n}`,
    channel: "sms",
    template: "initial_confirmation_sms",
    recipient: `+1720555${String(n).padStart(4, "0")}`,
    status: "pending",
    status_reason: null,
    rank: 1,
    next_attempt_at: null,
    ...overrides,
  };
}

Deno.test("holdFirstTexts() holds first texts past the hour's limit and nothing else", async (t) => {
  const held = (rows: NewOutboxRow[]) =>
    rows.filter((r) => r.status_reason === FIRST_TEXT_HOLD).map((r) => r.lead_id);
  const first = (rows: NewOutboxRow[]) =>
    rows.filter((r) => r.payload?.first_text === true).map((r) => r.lead_id);
  await t.step("under the limit: marked, not held", () => {
    const rows = holdFirstTexts([text(1), text(2)], {
      textedBefore: new Set(),
      firstTextsLastHour: 0,
      perHour: 30,
    });
    assert.deepEqual(first(rows), ["lead-1", "lead-2"]);
    assert.deepEqual(held(rows), []);
  });
  await t.step("at the limit: the rest held, with no time of their own", () => {
    const rows = holdFirstTexts([text(1), text(2), text(3)], {
      textedBefore: new Set(),
      firstTextsLastHour: 29,
      perHour: 30,
    });
    assert.deepEqual(held(rows), ["lead-2", "lead-3"]);
    assert.equal(rows[1].status, "deferred");
    assert.equal(rows[1].next_attempt_at, HELD_UNTIL_RELEASED);
  });
  await t.step("a number texted before is no first text, and never held", () => {
    const rows = holdFirstTexts([text(1)], {
      textedBefore: new Set([text(1).recipient!]),
      firstTextsLastHour: 30,
      perHour: 30,
    });
    assert.deepEqual(first(rows), []);
    assert.deepEqual(rows, [text(1)]);
  });
  await t.step("one number twice in a batch: one first text", () => {
    const rows = holdFirstTexts([text(1), text(1, { lead_id: "again" })], {
      textedBefore: new Set(),
      firstTextsLastHour: 29,
      perHour: 30,
    });
    assert.deepEqual(first(rows), ["lead-1"]);
    assert.deepEqual(held(rows), []);
  });
  await t.step("suppressed texts, emails and staff texts are not counted", () => {
    const rows = holdFirstTexts([
      text(1, { status: "suppressed", status_reason: "no_sms_consent" }),
      text(2, { template: "customer_confirmation_email", channel: "email" }),
      text(3, { template: "staff_on_call_sms" }),
    ], { textedBefore: new Set(), firstTextsLastHour: 30, perHour: 30 });
    assert.deepEqual(first(rows), []);
    assert.deepEqual(held(rows), []);
  });
  await t.step("a text deferred by quiet hours still counts, and may be held", () => {
    const night = new Date("2026-11-26T05:00:00Z");
    const rows = holdFirstTexts([
      text(1, { status: "deferred", status_reason: "quiet_hours", next_attempt_at: night }),
    ], {
      textedBefore: new Set(),
      firstTextsLastHour: 30,
      perHour: 30,
    });
    assert.deepEqual(held(rows), ["lead-1"]);
  });
});
