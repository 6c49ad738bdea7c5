import assert from "node:assert/strict";
import {
  type DeliveryChange,
  deliveryChange,
} from "../../shared/twilio_inbound/delivery_status.ts";

Deno.test("deliveryChange() moves a text's status forward only, and never past a final one", async (t) => {
  const cases: [string | null, string, DeliveryChange | null][] = [
    [null, "queued", { status: "queued", final: false }],
    [null, "delivered", { status: "delivered", final: true }],
    ["queued", "sent", { status: "sent", final: false }],
    ["sent", "delivered", { status: "delivered", final: true }],
    ["sent", "undelivered", { status: "undelivered", final: true }],
    ["queued", "failed", { status: "failed", final: true }],
    ["accepted", "queued", { status: "queued", final: false }],
    // Repeats and late arrivals change nothing.
    ["sent", "sent", null],
    ["sent", "queued", null],
    ["delivered", "delivered", null],
    ["delivered", "sent", null],
    ["delivered", "queued", null],
    // The first final report stands.
    ["delivered", "undelivered", null],
    ["undelivered", "delivered", null],
    ["failed", "delivered", null],
    // Statuses this channel does not know are ignored.
    [null, "received", null],
    ["sent", "read", null],
    [null, "", null],
  ];
  for (const [current, reported, expected] of cases) {
    await t.step(
      `${current ?? "(none)"} + ${reported || '""'} → ${expected?.status ?? "no change"}`,
      () => {
        assert.deepEqual(deliveryChange(current, reported), expected);
      },
    );
  }
});
