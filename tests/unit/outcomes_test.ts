import assert from "node:assert/strict";
import { outcomeOf, sortPreparations } from "../../shared/outbox/outcomes.ts";
import { byRankGroups } from "../../shared/outbox/drain.ts";
import { activityFor } from "../../shared/leads/activity_log.ts";
import { byRank, type Outcome } from "../../shared/outbox/channel.ts";
import { rankOf } from "../../shared/messages/catalog.ts";
import type { Channel, OutboxRow } from "../../shared/outbox/store.ts";
import { makeOutboxRow } from "./_fixtures.ts";
import { resendFailure } from "../../shared/channels/resend_calls.ts";

function row(channel: Channel, template: string, recipient: string): OutboxRow {
  return makeOutboxRow({
    key: `lead-1:${template}`,
    lead_id: "lead-1",
    channel,
    template,
    recipient,
    rank: rankOf(template),
    attempts: 2,
  });
}

const email = row("email", "customer_confirmation_email", "jane.doe@example.com");
const sms = row("sms", "initial_confirmation_sms", "+17209187465");
const crm = row("webhook", "crm_new_lead_webhook", "CRM (crm.example.com)");

Deno.test("outcomeOf() turns an answer into sent, retry or dead by the channel's classification", async (t) => {
  await t.step("accepted → sent with the provider's id", () => {
    assert.deepEqual(
      outcomeOf({ row: sms, result: { ok: true, providerMessageId: "SM1" } }, "Twilio", undefined),
      {
        row: sms,
        kind: "sent",
        provider: "Twilio",
        providerMessageId: "SM1",
      },
    );
  });
  await t.step(
    "Resend refusing the recipient (422, `to`) → suppressed invalid_address, not dead",
    () => {
      const failure = resendFailure({
        name: "validation_error",
        statusCode: 422,
        message:
          "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
      });
      assert.deepEqual(
        outcomeOf({ row: email, result: { ok: false, failure } }, "Resend", undefined),
        {
          row: email,
          kind: "suppressed",
          reason: "invalid_address",
        },
      );
    },
  );
  await t.step("Resend refusing our own From (422, `from`) → dead: that is ours to fix", () => {
    const failure = resendFailure({
      name: "validation_error",
      statusCode: 422,
      message: "Invalid `from` field.",
    });
    const o = outcomeOf({ row: email, result: { ok: false, failure } }, "Resend", undefined);
    assert.equal(o.kind, "dead");
  });
  await t.step("transient → retry that counts as an attempt", () => {
    const o = outcomeOf(
      {
        row: crm,
        result: {
          ok: false,
          failure: { status: 503, message: "down", transient: true, throttled: false },
        },
      },
      "webhook receiver",
      undefined,
    );
    assert.equal(o.kind, "retry");
    assert.equal(o.kind === "retry" && o.countsAsAttempt, true);
  });
  await t.step("throttled → retry that gives the attempt back", () => {
    const o = outcomeOf(
      {
        row: email,
        result: {
          ok: false,
          failure: {
            status: 429,
            message: "slow",
            transient: true,
            throttled: true,
            retryAfterSeconds: 1,
          },
        },
      },
      "Resend",
      undefined,
    );
    assert.equal(o.kind === "retry" && o.countsAsAttempt, false);
  });
  await t.step("permanent → dead, keeping the failure for the log and who answered it", () => {
    const failure = {
      status: 400,
      code: 21211,
      message: "bad To",
      transient: false,
      throttled: false,
    };
    const o = outcomeOf({ row: sms, result: { ok: false, failure } }, "Twilio", undefined);
    assert.deepEqual(o, {
      row: sms,
      kind: "dead",
      reason: "permanent: HTTP 400 21211 bad To",
      failure,
      provider: "Twilio",
    });
  });
});

Deno.test("activityFor() gives every outcome one activity type, spelled once, with masked recipients", async (t) => {
  const failure = { status: 400, message: "no", transient: false, throttled: false };
  const until = new Date("2026-11-26T15:00:00Z");
  const cases: Array<[string, Outcome, string | null]> = [
    [
      "email sent",
      { row: email, kind: "sent", provider: "Resend", providerMessageId: "em_1" },
      "email_sent",
    ],
    [
      "sms sent",
      { row: sms, kind: "sent", provider: "Twilio", providerMessageId: "SM1" },
      "sms_sent",
    ],
    ["webhook sent", {
      row: crm,
      kind: "sent",
      provider: "webhook receiver",
      providerMessageId: null,
    }, "webhook_sent"],
    ["email failed", { row: email, kind: "dead", reason: "permanent", failure }, "email_failed"],
    ["sms failed", { row: sms, kind: "dead", reason: "permanent", failure }, "sms_failed"],
    ["webhook failed", { row: crm, kind: "dead", reason: "permanent", failure }, "webhook_failed"],
    [
      "never tried (lead gone)",
      { row: email, kind: "dead", reason: "lead gone" },
      "notification_failed",
    ],
    [
      "suppressed",
      { row: sms, kind: "suppressed", reason: "opted_out" },
      "notification_suppressed",
    ],
    [
      "deferred",
      { row: sms, kind: "deferred", reason: "quiet_hours", until },
      "notification_deferred",
    ],
    ["retry (not news yet)", {
      row: sms,
      kind: "retry",
      error: "503",
      delayMs: 2000,
      countsAsAttempt: true,
    }, null],
  ];
  for (const [name, outcome, type] of cases) {
    await t.step(name, () => {
      const activity = activityFor(outcome);
      assert.equal(activity?.activity_type ?? null, type);
      if (!activity) return;
      assert.equal(activity.lead_id, "lead-1");
      assert.equal(activity.metadata?.template, outcome.row.template);
      assert.equal(activity.metadata?.outbox_key, outcome.row.key);
      assert.ok(!JSON.stringify(activity).includes("+17209187465"), "phone masked");
      assert.ok(!JSON.stringify(activity).includes("jane.doe@example.com"), "email masked");
    });
  }
  await t.step("a deferral says until when", () => {
    const activity = activityFor({ row: sms, kind: "deferred", reason: "quiet_hours", until });
    assert.equal(activity?.metadata?.until, until.toISOString());
  });
});

Deno.test("customers go first: rankOf() puts customer kinds before staff kinds, byRank() keeps order within a rank", () => {
  assert.equal(rankOf("customer_confirmation_email"), 0);
  assert.equal(rankOf("initial_confirmation_sms"), 0);
  assert.equal(rankOf("staff_new_lead_email"), 1);
  assert.equal(rankOf("crm_new_lead_webhook"), 1);
  assert.ok(rankOf("no_such_kind") > 1);
  const deliveries = [
    { row: crm, payload: "a" },
    { row: email, payload: "b" },
    { row: crm, payload: "c" },
    { row: sms, payload: "d" },
  ];
  assert.deepEqual(byRank(deliveries).map((d) => d.payload), ["b", "d", "a", "c"]);
});

Deno.test("sortPreparations() sends what may go by channel and settles the rest without a provider", () => {
  const until = new Date("2026-11-26T15:00:00Z");
  const { held, toSend } = sortPreparations(
    [
      { row: email, action: "send", payload: "e" },
      { row: sms, action: "defer", reason: "quiet_hours", until },
      { row: crm, action: "send", payload: "w" },
      { row: sms, action: "suppress", reason: "opted_out" },
      { row: email, action: "dead", reason: "lead gone" },
      {
        row: crm,
        action: "fail",
        failure: { message: "render", network: true, transient: true, throttled: false },
      },
    ],
    (channel) => channel !== "webhook",
    undefined,
  );
  assert.deepEqual([...toSend.keys()], ["email"]);
  assert.deepEqual(toSend.get("email")!.map((d) => d.payload), ["e"]);
  assert.deepEqual(held.map((o) => o.kind), ["deferred", "retry", "suppressed", "dead", "retry"]);
  const noSender = held[1];
  assert.match(noSender.kind === "retry" ? noSender.error : "", /no webhook sender here/);
});

Deno.test("byRankGroups() keeps the rows of one call in doubt together, at their lowest rank", () => {
  const at = (key: string, rank: number, send_ref: string | null, inDoubt: boolean): OutboxRow => ({
    ...email,
    id: key,
    key,
    rank,
    send_ref,
    in_doubt_since: inDoubt ? new Date(0) : null,
  });
  const groups = byRankGroups([
    at("staff-fresh", 1, null, false),
    at("customer-doubt", 0, "batch-1", true),
    at("staff-doubt", 1, "batch-1", true),
    at("staff-answered", 1, "batch-2", false),
  ]);
  assert.deepEqual(groups.map((g) => g.map((r) => r.key)), [
    ["customer-doubt", "staff-doubt"],
    ["staff-fresh", "staff-answered"],
  ]);
});
