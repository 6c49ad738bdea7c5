import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import type { Resend } from "resend";
import type { Twilio } from "twilio";
import { postWebhook, webhookFailure } from "../../shared/channels/webhook.ts";
import { createEmailSender } from "../../shared/channels/email.ts";
import { createSmsSender } from "../../shared/channels/sms.ts";
import type { Answer, Delivery } from "../../shared/outbox/channel.ts";
import type { OutboxRow } from "../../shared/outbox/store.ts";
import type { RateLimiter } from "../../shared/outbox/rate_limiter.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function row(key: string, overrides: Partial<OutboxRow> = {}): OutboxRow {
  return {
    id: key,
    key,
    lead_id: "00000000-0000-4000-8000-000000000001",
    channel: "email",
    template: "customer_confirmation_email",
    recipient: "jane@example.com",
    payload: {},
    status: "sending",
    status_reason: null,
    rank: 0,
    attempts: 1,
    max_attempts: 6,
    next_attempt_at: new Date(0),
    provider_message_id: null,
    last_error: null,
    lease_token: "00000000-0000-4000-8000-00000000000a",
    ...overrides,
  };
}

Deno.test("webhookFailure() retries a receiver that is down, slow or busy, and no other 4xx", async (t) => {
  const cases: Array<[string, Parameters<typeof webhookFailure>[0], boolean, boolean]> = [
    ["500", { status: 500 }, true, false],
    ["503", { status: 503 }, true, false],
    ["408 request timeout", { status: 408 }, true, false],
    ["429 too many requests", { status: 429, retryAfter: "7" }, true, true],
    ["400 bad request", { status: 400 }, false, false],
    ["401 wrong token", { status: 401 }, false, false],
    ["404 no such hook", { status: 404 }, false, false],
    ["410 gone", { status: 410 }, false, false],
    ["no connection", { error: new TypeError("connection refused") }, true, false],
    ["timed out", { error: new DOMException("signal timed out", "TimeoutError") }, true, false],
  ];
  for (const [name, answer, transient, throttled] of cases) {
    await t.step(name, () => {
      const failure = webhookFailure(answer);
      assert.equal(failure.transient, transient);
      assert.equal(failure.throttled, throttled);
    });
  }
  await t.step("Retry-After is kept", () => {
    assert.equal(webhookFailure({ status: 429, retryAfter: "7" }).retryAfterSeconds, 7);
  });
});

Deno.test("postWebhook() signs with Standard Webhooks when asked and a secret is set", async (t) => {
  const seen: Request[] = [];
  const fetchSpy = ((input: string, init: RequestInit) => {
    seen.push(new Request(input, init));
    return Promise.resolve(new Response("{}", { status: 200 }));
  }) as unknown as typeof fetch;
  const request = {
    url: "https://crm.example.com/hook",
    headers: { authorization: "Bearer t0k" },
    body: { leadId: "l1", note: "é ✓" },
    sign: true,
  };

  await t.step("signed: the receiver can verify the body it got", async () => {
    const at = new Date("2026-11-25T17:00:00Z");
    const result = await postWebhook(request, {
      signingSecret: SECRET,
      id: "lead-1:crm_new_lead_webhook",
      fetch: fetchSpy,
      now: () => at,
    });
    assert.deepEqual(result, { ok: true, providerMessageId: null });
    const req = seen.at(-1)!;
    assert.equal(req.headers.get("authorization"), "Bearer t0k");
    assert.equal(req.headers.get("content-type"), "application/json");
    assert.equal(req.headers.get("webhook-id"), "lead-1:crm_new_lead_webhook");
    assert.equal(req.headers.get("webhook-timestamp"), String(at.getTime() / 1000));
    const body = await req.text();
    // The library refuses stale timestamps, so verify the signature as of `at`.
    const expected = new Webhook(SECRET).sign("lead-1:crm_new_lead_webhook", at, body);
    assert.equal(req.headers.get("webhook-signature"), expected);
    assert.deepEqual(JSON.parse(body), request.body);
  });
  await t.step("no secret: no signature headers", async () => {
    await postWebhook(request, { id: "k", fetch: fetchSpy });
    assert.equal(seen.at(-1)!.headers.get("webhook-signature"), null);
  });
  await t.step("not asked: no signature headers even with a secret", async () => {
    await postWebhook({ ...request, sign: false }, {
      id: "k",
      signingSecret: SECRET,
      fetch: fetchSpy,
    });
    assert.equal(seen.at(-1)!.headers.get("webhook-signature"), null);
  });
  await t.step("a refused connection is a transient failure", async () => {
    const result = await postWebhook(request, {
      id: "k",
      fetch: (() => Promise.reject(new TypeError("connection refused"))) as typeof fetch,
    });
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.failure.transient, true);
  });
});

/** A limiter that always has a slot and records pauses. */
function openLimiter(pauses: number[] = []): RateLimiter {
  return {
    take: () => Promise.resolve(() => Promise.resolve()),
    pauseFor: (ms: number) => {
      pauses.push(ms);
      return Promise.resolve();
    },
  } as unknown as RateLimiter;
}

Deno.test("the email sender batches up to 100 per call, customers first, and settles every email", async () => {
  const calls: Array<{ to: string[] }[]> = [];
  const resend = {
    batch: {
      send: (emails: { to: string[] }[]) => {
        calls.push(emails);
        return Promise.resolve({
          data: { data: emails.map((_, i) => ({ id: `em_${calls.length}_${i}` })) },
          error: null,
          headers: {},
        });
      },
    },
    emails: { send: () => Promise.reject(new Error("single send not expected")) },
  } as unknown as Resend;
  const sender = createEmailSender({ resend, from: "shop@example.com", limiter: openLimiter() });
  const deliveries: Delivery<{ to: string; subject: string; html: string; text: string }>[] = [];
  for (let i = 0; i < 250; i++) {
    const staff = i % 2 === 0;
    deliveries.push({
      row: row(`k${i}`, { rank: staff ? 1 : 0 }),
      payload: {
        to: staff ? `staff${i}@shop.com` : `c${i}@example.com`,
        subject: "s",
        html: "h",
        text: "t",
      },
    });
  }
  const answers: Answer[] = [];
  await sender.send(deliveries, (a) => {
    answers.push(...a);
    return Promise.resolve();
  });
  assert.deepEqual(calls.map((c) => c.length), [100, 100, 50]);
  assert.ok(
    calls[0].every((e) => e.to[0].startsWith("c")),
    "the first call carries only customers",
  );
  assert.equal(answers.length, 250);
  assert.equal(new Set(answers.map((a) => a.row.key)).size, 250);
  assert.ok(answers.every((a) => a.result.ok));
});

Deno.test("the email sender pauses the shared limiter once when Resend throttles a batch", async () => {
  const pauses: number[] = [];
  const resend = {
    batch: {
      send: () =>
        Promise.resolve({
          data: null,
          error: { statusCode: 429, name: "rate_limit_exceeded", message: "slow down" },
          headers: { "retry-after": "2" },
        }),
    },
  } as unknown as Resend;
  const sender = createEmailSender({ resend, from: "s@x.com", limiter: openLimiter(pauses) });
  const answers: Answer[] = [];
  await sender.send(
    [0, 1, 2].map((i) => ({
      row: row(`t${i}`),
      payload: { to: `c${i}@example.com`, subject: "s", html: "h", text: "t" },
    })),
    (a) => {
      answers.push(...a);
      return Promise.resolve();
    },
  );
  assert.deepEqual(pauses, [2000]);
  assert.ok(answers.every((a) => !a.result.ok && a.result.failure.throttled));
});

Deno.test("the SMS sender reports Twilio's 21610 as an unsubscribed phone and never retries it", async () => {
  const unsubscribed: string[] = [];
  const twilio = {
    messages: {
      create: ({ to }: { to: string }) =>
        to === "+17205550001"
          ? Promise.reject(Object.assign(new Error("unsubscribed"), { status: 400, code: 21610 }))
          : Promise.resolve({ sid: `SM${to.slice(-4)}` }),
    },
  } as unknown as Twilio;
  const sender = createSmsSender({
    twilio,
    from: "+17205550100",
    onUnsubscribed: (phone) => {
      unsubscribed.push(phone);
      return Promise.resolve();
    },
  });
  const answers: Answer[] = [];
  await sender.send(
    ["+17205550001", "+17205550002"].map((to) => ({
      row: row(to, { channel: "sms", recipient: to }),
      payload: { to, body: "hi" },
    })),
    (a) => {
      answers.push(...a);
      return Promise.resolve();
    },
  );
  assert.deepEqual(unsubscribed, ["+17205550001"]);
  const refused = answers.find((a) => a.row.key === "+17205550001")!;
  assert.equal(refused.result.ok, false);
  assert.equal(!refused.result.ok && refused.result.failure.transient, false);
  assert.deepEqual(answers.find((a) => a.row.key === "+17205550002")!.result, {
    ok: true,
    providerMessageId: "SM0002",
  });
});
