import assert from "node:assert/strict";
import { FaultBook, parseFaultRule } from "../../supabase/local/fakes/faults.ts";
import { IdempotencyStore } from "../../supabase/local/fakes/idempotency.ts";
import { maskEmail, maskPhone, maskPII } from "../../shared/platform/mask.ts";
import { multipartBoundary, parseMultipart } from "../../supabase/local/fakes/multipart.ts";
import { RollingWindowLimiter } from "../../supabase/local/fakes/rate_limit.ts";
import { createSignedUrlSigner } from "../../supabase/local/fakes/signed_url_token.ts";
import { rewriteTwilioUri } from "../../shared/providers/twilio_client.ts";
import { segmentCount } from "../../supabase/local/fakes/segments.ts";
import { SegmentedMessage } from "sms-segments-calculator";

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

Deno.test("maskPhone() keeps the country and area code and the last four digits", () => {
  assert.equal(maskPhone("+17205557465"), "+1720***7465");
  assert.equal(maskEmail("jane.doe@example.com"), "j***@example.com");
  assert.equal(
    maskPII(
      "to=+17205557465 cc=jane.doe@example.com, The 'To' number +15005550001 is invalid",
    ),
    "to=+1720***7465 cc=j***@example.com, The 'To' number +1500***0001 is invalid",
  );
});

Deno.test("RollingWindowLimiter admits 2 per rolling second and says when the next slot frees", () => {
  const clock = fakeClock();
  const limiter = new RollingWindowLimiter(2, 1000, clock.now);
  assert.equal(limiter.take().allowed, true);
  clock.advance(400);
  assert.deepEqual(limiter.take(), { allowed: true, limit: 2, remaining: 0, resetSeconds: 1 });
  assert.equal(limiter.take().allowed, false);
  clock.advance(600); // the first request leaves the window
  assert.equal(limiter.take().allowed, true);
  assert.equal(limiter.take().allowed, false, "the second request is still inside the window");
});

Deno.test("IdempotencyStore replays a completed key, refuses another body or an in-flight key, forgets after 24 h", async (t) => {
  const clock = fakeClock();
  const store = new IdempotencyStore(clock.now);
  assert.deepEqual(store.begin("k", "body-a"), { kind: "new" });
  await t.step(
    "in flight",
    () => assert.deepEqual(store.begin("k", "body-a"), { kind: "in_flight" }),
  );
  store.complete("k", { status: 200, body: { id: "1" } });
  await t.step(
    "replay",
    () =>
      assert.deepEqual(store.begin("k", "body-a"), {
        kind: "replay",
        answer: { status: 200, body: { id: "1" } },
      }),
  );
  await t.step(
    "another body",
    () => assert.deepEqual(store.begin("k", "body-b"), { kind: "different_body" }),
  );
  await t.step("expiry", () => {
    clock.advance(24 * 60 * 60 * 1000);
    assert.deepEqual(store.begin("k", "body-b"), { kind: "new" });
  });
  await t.step("an abandoned key can be used again", () => {
    store.abandon("k");
    assert.deepEqual(store.begin("k", "body-c"), { kind: "new" });
  });
});

Deno.test("FaultBook hands out the oldest matching rule and counts down its uses", () => {
  const book = new FaultBook();
  book.add(parseFaultRule({ path: "/emails/batch", times: 1, status: 503 }));
  book.add(parseFaultRule({ times: 2, drop: true }));
  assert.equal(book.take("/emails")?.drop, true);
  assert.equal(book.take("/emails/batch")?.status, 503);
  assert.equal(book.take("/emails/batch")?.drop, true);
  assert.equal(book.take("/emails"), undefined);
});

Deno.test("parseFaultRule() refuses rules that cannot be carried out", () => {
  assert.throws(() => parseFaultRule({ times: 0 }), /Cannot set a fault/);
  assert.throws(() => parseFaultRule({ times: 1, drop: true, status: 500 }), /takes no status/);
  assert.throws(() => parseFaultRule({ times: 1, body: { a: 1 } }), /needs a "status"/);
  assert.throws(() => parseFaultRule({ times: 1, stauts: 500 }), /Cannot set a fault/);
});

Deno.test("parseMultipart() reads the unnamed file part supabase-js uploads", async () => {
  const form = new FormData();
  form.append("cacheControl", "3600");
  form.append("", new Blob([new Uint8Array([0, 13, 10, 45, 45, 255])], { type: "image/png" }));
  const req = new Request("http://localhost/", { method: "POST", body: form });
  const boundary = multipartBoundary(req.headers.get("content-type")!)!;
  const parts = parseMultipart(new Uint8Array(await req.arrayBuffer()), boundary);
  assert.deepEqual(parts.map((p) => [p.name, p.filename, p.contentType]), [
    ["cacheControl", null, null],
    ["", "blob", "image/png"],
  ]);
  assert.deepEqual(parts[1].bytes, new Uint8Array([0, 13, 10, 45, 45, 255]));
});

Deno.test("signed URL tokens are bound to one object and expire", async () => {
  const clock = fakeClock();
  const signer = await createSignedUrlSigner(clock.now);
  const token = await signer.sign("lead-photos/42/a.png", 60);
  assert.equal(await signer.verify(token, "lead-photos/42/a.png"), undefined);
  assert.equal(await signer.verify(token, "lead-photos/43/a.png"), "url mismatch");
  assert.equal(await signer.verify(`${token}x`, "lead-photos/42/a.png"), "invalid signature");
  assert.equal(await signer.verify("not-a-jwt", "lead-photos/42/a.png"), "jwt malformed");
  clock.advance(60_000);
  assert.equal(await signer.verify(token, "lead-photos/42/a.png"), "jwt expired");
});

Deno.test("rewriteTwilioUri() moves api.twilio.com (and its edge forms) to the fake, and nothing else", () => {
  const fake = "http://127.0.0.1:54330/";
  assert.equal(
    rewriteTwilioUri("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", fake),
    "http://127.0.0.1:54330/2010-04-01/Accounts/AC1/Messages.json",
  );
  assert.equal(
    rewriteTwilioUri("https://api.sydney.au1.twilio.com/x", fake),
    "http://127.0.0.1:54330/x",
  );
  assert.equal(
    rewriteTwilioUri("https://api.twilio.com.evil.example/x", fake),
    "https://api.twilio.com.evil.example/x",
  );
  assert.equal(
    rewriteTwilioUri("https://messaging.twilio.com/v1/x", fake),
    "https://messaging.twilio.com/v1/x",
  );
});

Deno.test("segmentCount() counts as sms-segments-calculator does, basic GSM-7 or not", async (t) => {
  const cases: Array<[string, string]> = [
    ["empty", ""],
    ["one GSM-7 segment, full", "a".repeat(160)],
    ["two GSM-7 segments", "a".repeat(161)],
    ["three GSM-7 segments at 307", "x".repeat(307)],
    ["GSM-7 specials", "Hi Ñoño! Ref: PAG-1 @ £5 §¿ Ü\nText STOP to opt-out".repeat(3)],
    ["an extension character takes two septets", "{" + "a".repeat(159)],
    ["euro sign", "€".repeat(80)],
    ["an emoji makes it UCS-2", "Hi 😀 " + "a".repeat(70)],
    ["Cyrillic", "Привет ".repeat(30)],
    ["a curly apostrophe", "We’ll call you " + "a".repeat(60)],
  ];
  for (const [name, body] of cases) {
    await t.step(name, () => {
      assert.equal(
        segmentCount(body),
        Math.max(new SegmentedMessage(body).segmentsCount, 1),
      );
    });
  }
});
