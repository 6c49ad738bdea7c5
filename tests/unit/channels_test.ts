import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import type { Resend } from "resend";
import type { Twilio } from "twilio";
import { postWebhook, webhookFailure } from "../../shared/channels/webhook.ts";
import { createEmailSender, type EmailAttachment, nextCall } from "../../shared/channels/email.ts";
import { createSmsSender, earlierSend } from "../../shared/channels/sms.ts";
import { resendLimits } from "../../shared/channels/resend_calls.ts";
import type { Answer, Delivery, SendContext } from "../../shared/outbox/channel.ts";
import type { OutboxRow } from "../../shared/outbox/store.ts";
import type { ProviderPause, RateLimiter } from "../../shared/outbox/rate_limiter.ts";
import { makeOutboxRow } from "./_fixtures.ts";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function row(key: string, overrides: Partial<OutboxRow> = {}): OutboxRow {
  return makeOutboxRow({ id: key, key, ...overrides });
}

/**
 * A drain's side of a send: answers are collected; every row is still ours (unless listed in
 * `lost`), and each call's key is noted.
 */
function drainSide(answers: Answer[], refs: string[] = [], lost: string[] = []): SendContext {
  return {
    settle: (a) => {
      answers.push(...a);
      return Promise.resolve();
    },
    onTheWire: (rows, ref) => {
      refs.push(ref);
      return Promise.resolve(rows.filter((r) => !lost.includes(r.key)));
    },
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
    learn: () => Promise.resolve(),
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
  await sender.send(deliveries, drainSide(answers));
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
    drainSide(answers),
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
    drainSide(answers),
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

const invite: EmailAttachment = {
  filename: "appointment.ics",
  content: btoa("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
  contentType: "text/calendar; charset=utf-8; method=REQUEST",
};

const email = (
  key: string,
  overrides: Partial<OutboxRow> = {},
  attachments?: EmailAttachment[],
) => ({
  row: row(key, overrides),
  payload: {
    to: `${key}@example.com`,
    subject: "s",
    html: "h",
    text: "t",
    ...(attachments ? { attachments } : {}),
  },
});

/** One email as a fake Resend saw it: the endpoint, the call's key and what it carried. */
interface SeenEmail {
  to: string[];
  key: string;
  endpoint?: "batch" | "single";
  attachments?: unknown[];
}

/** A Resend whose batch endpoint answers with `answer` and records each call's key. */
function fakeBatchResend(
  calls: SeenEmail[],
  answer: (emails: unknown[]) => unknown = (emails) => ({
    data: { data: emails.map((_, i) => ({ id: `em_${i}` })) },
    error: null,
    headers: {},
  }),
  answerOne: () => unknown = () => ({ data: { id: "em_single" }, error: null, headers: {} }),
) {
  type Sent = { to: string[]; attachments?: unknown[] };
  return {
    batch: {
      send: (emails: Sent[], opts: { idempotencyKey: string }) => {
        for (const e of emails) {
          calls.push({ to: e.to, key: opts.idempotencyKey, endpoint: "batch", ...attached(e) });
        }
        return Promise.resolve(answer(emails));
      },
    },
    emails: {
      send: (e: Sent, opts: { idempotencyKey: string }) => {
        calls.push({ to: e.to, key: opts.idempotencyKey, endpoint: "single", ...attached(e) });
        return Promise.resolve(answerOne());
      },
    },
  } as unknown as Resend;
}

const attached = (e: { attachments?: unknown[] }) =>
  e.attachments ? { attachments: e.attachments } : {};

Deno.test("nextCall() keeps an email in doubt with exactly the mates of its earlier call, and sends one with attachments alone", async (t) => {
  const doubt = new Date(0);
  const q = (
    key: string,
    send_ref: string | null,
    in_doubt_since: Date | null,
    attachments?: EmailAttachment[],
  ) => ({
    delivery: email(key, { send_ref, in_doubt_since }, attachments),
    ctx: drainSide([]),
  });
  const withInvite = (key: string, send_ref: string | null = null, since: Date | null = null) =>
    q(key, send_ref, since, [invite]);
  const cases: Array<[string, ReturnType<typeof q>[], string[], string | null]> = [
    ["fresh emails fill one call", [q("a", null, null), q("b", null, null)], ["a", "b"], null],
    [
      "a fresh email never joins a batch in doubt",
      [q("a", "batch-1", doubt), q("b", null, null), q("c", "batch-1", doubt)],
      ["a", "c"],
      "batch-1",
    ],
    [
      "in doubt after a single send: alone, under its own key",
      [q("a", "a", doubt), q("b", null, null)],
      ["a"],
      "a",
    ],
    [
      "in doubt but never on the wire: it joins the others",
      [q("a", null, doubt), q("b", null, null)],
      ["a", "b"],
      null,
    ],
    [
      "a key from an answered (failed) call is not reused",
      [q("a", "batch-9", null), q("b", null, null)],
      ["a", "b"],
      null,
    ],
    [
      "an email with attachments is a call of its own",
      [withInvite("a"), q("b", null, null), q("c", null, null)],
      ["a"],
      null,
    ],
    [
      "an email with attachments never joins a batch",
      [q("a", null, null), withInvite("b"), q("c", null, null), withInvite("d")],
      ["a", "c"],
      null,
    ],
    [
      "two emails with attachments go one by one",
      [withInvite("a"), withInvite("b")],
      ["a"],
      null,
    ],
    [
      "an email with attachments in doubt goes alone again, under its own key",
      [withInvite("a", "a", doubt), withInvite("b"), q("c", null, null)],
      ["a"],
      "a",
    ],
    [
      "a batch in doubt keeps a mate that now has attachments: its key decides",
      [q("a", "batch-1", doubt), withInvite("b", "batch-1", doubt), withInvite("c")],
      ["a", "b"],
      "batch-1",
    ],
    [
      "an empty attachment list is no attachment",
      [q("a", null, null, []), q("b", null, null)],
      ["a", "b"],
      null,
    ],
  ];
  for (const [name, queue, members, ref] of cases) {
    await t.step(name, () => {
      const call = nextCall(queue);
      assert.deepEqual(call.members.map((m) => m.delivery.row.key), members);
      assert.equal(call.ref, ref);
    });
  }
  await t.step("a batch in doubt goes again in outbox order, however it was claimed", () => {
    const member = (id: string) => ({
      delivery: {
        row: makeOutboxRow({ id, key: `k${id}`, send_ref: "b", in_doubt_since: doubt }),
        payload: {} as never,
      },
      ctx: drainSide([]),
    });
    const call = nextCall([member("12"), member("3"), member("7")]);
    assert.deepEqual(call.members.map((m) => m.delivery.row.id), ["3", "7", "12"]);
  });
});

Deno.test("the email sender records each call's key before the call and sends only rows still leased", async () => {
  const calls: SeenEmail[] = [];
  const sender = createEmailSender({
    resend: fakeBatchResend(calls),
    from: "s@x.com",
    limiter: openLimiter(),
  });
  const answers: Answer[] = [];
  const refs: string[] = [];
  await sender.send([email("a"), email("b"), email("c")], drainSide(answers, refs, ["b"]));
  assert.equal(refs.length, 1);
  assert.match(refs[0], /^batch-[0-9a-f]{48}$/);
  assert.deepEqual(calls.map((c) => c.to[0]), ["a@example.com", "c@example.com"]);
  assert.ok(calls.every((c) => c.key === refs[0]), "the call goes under the recorded key");
  const lost = answers.find((a) => a.row.key === "b")!;
  assert.equal(lost.result.ok, false);
});

Deno.test("two drains' emails in one batch are each marked on the wire by their own drain", async () => {
  const calls: SeenEmail[] = [];
  const sender = createEmailSender({
    resend: fakeBatchResend(calls),
    from: "s@x.com",
    limiter: openLimiter(),
  });
  const marked = new Map<string, string[]>();
  const side = (drain: string): SendContext => ({
    settle: () => Promise.resolve(),
    onTheWire: (rows) => {
      marked.set(drain, [...(marked.get(drain) ?? []), ...rows.map((r) => r.key)]);
      return Promise.resolve(rows);
    },
  });
  await Promise.all([
    sender.send([email("a"), email("b")], side("first")),
    sender.send([email("c")], side("second")),
  ]);
  assert.equal(new Set(calls.map((c) => c.key)).size, 1, "one batch call");
  assert.deepEqual(Object.fromEntries(marked), { first: ["a", "b"], second: ["c"] });
});

Deno.test("the email sender sends an email with attachments alone through emails.send under its outbox key, and batches the others", async () => {
  const calls: SeenEmail[] = [];
  const sender = createEmailSender({
    resend: fakeBatchResend(calls),
    from: "s@x.com",
    limiter: openLimiter(),
  });
  const answers: Answer[] = [];
  const refs: string[] = [];
  await sender.send(
    [email("a"), email("invited", {}, [invite]), email("b")],
    drainSide(answers, refs),
  );
  const single = calls.filter((c) => c.endpoint === "single");
  assert.deepEqual(single, [{
    to: ["invited@example.com"],
    key: "invited",
    endpoint: "single",
    attachments: [invite],
  }]);
  assert.deepEqual(
    calls.filter((c) => c.endpoint === "batch").map((c) => [c.to[0], "attachments" in c]),
    [["a@example.com", false], ["b@example.com", false]],
  );
  assert.ok(refs.includes("invited"), "the single call's key is recorded before the call");
  assert.equal(answers.length, 3);
  assert.ok(answers.every((a) => a.result.ok));
});

/** Resend's answer to a key used again with another body. */
const REFUSED_AS_CHANGED = {
  data: null,
  error: {
    statusCode: 409,
    name: "invalid_idempotent_request",
    message: "Same idempotency key used with a different request payload.",
  },
  headers: {},
};

Deno.test("an email batch in doubt goes again under its first key; Resend refusing the changed body means it went", async () => {
  const calls: SeenEmail[] = [];
  const sender = createEmailSender({
    resend: fakeBatchResend(calls, () => REFUSED_AS_CHANGED),
    from: "s@x.com",
    limiter: openLimiter(),
  });
  const answers: Answer[] = [];
  const inDoubt = { send_ref: "batch-first", in_doubt_since: new Date(0) };
  await sender.send(
    [email("a", inDoubt), email("fresh"), email("b", inDoubt)],
    drainSide(answers),
  );
  assert.deepEqual(
    calls.map((c) => [c.to[0], c.key]),
    [["a@example.com", "batch-first"], ["b@example.com", "batch-first"], [
      "fresh@example.com",
      "fresh",
    ]],
  );
  for (const key of ["a", "b"]) {
    assert.deepEqual(answers.find((a) => a.row.key === key)!.result, {
      ok: true,
      providerMessageId: null,
      reconciled: true,
    });
  }
});

Deno.test("a single email in doubt goes again under its own key; Resend refusing the changed body means it went, and only then", async () => {
  const calls: SeenEmail[] = [];
  const sender = createEmailSender({
    resend: fakeBatchResend(calls, undefined, () => REFUSED_AS_CHANGED),
    from: "s@x.com",
    limiter: openLimiter(),
  });
  const answers: Answer[] = [];
  await sender.send(
    [email("doubted", { send_ref: "doubted", in_doubt_since: new Date(0) })],
    drainSide(answers),
  );
  assert.deepEqual(calls.map((c) => [c.key, c.endpoint]), [["doubted", "single"]]);
  assert.deepEqual(answers[0].result, { ok: true, providerMessageId: null, reconciled: true });

  // A first attempt refused that way is a real failure: nothing proves an earlier call.
  const first: Answer[] = [];
  await sender.send([email("fresh")], drainSide(first));
  assert.equal(first[0].result.ok, false);
});

Deno.test("earlierSend() finds the same body sent since the attempt began, and nothing else", async (t) => {
  const since = new Date("2026-11-25T18:00:00Z");
  const at = (iso: string) => new Date(iso);
  const api = "outbound-api";
  const cases: Array<[string, Array<[string, string, string, string?]>, string | null]> = [
    ["accepted after the attempt began", [["SM1", "hi Jane", "2026-11-25T18:00:02Z"]], "SM1"],
    ["clock 30 s behind ours", [["SM1", "hi Jane", "2026-11-25T17:59:30Z"]], "SM1"],
    ["another body", [["SM1", "hi John", "2026-11-25T18:00:02Z"]], null],
    ["the same body, a day earlier", [["SM1", "hi Jane", "2026-11-24T18:00:02Z"]], null],
    ["the same body as a TwiML reply", [["SM1", "hi Jane", "2026-11-25T18:00:02Z", "reply"]], null],
    ["nothing listed", [], null],
  ];
  for (const [name, listed, sid] of cases) {
    await t.step(name, () => {
      assert.equal(
        earlierSend(
          listed.map(([sid, body, created, direction]) => ({
            sid,
            body,
            dateCreated: at(created),
            direction: direction ?? api,
          })),
          "hi Jane",
          since,
        ),
        sid,
      );
    });
  }
});

Deno.test("an SMS in doubt is looked up first: found is recorded sent without a second text; absent is sent; unknown waits", async () => {
  const created: string[] = [];
  let listFails = false;
  const twilio = {
    messages: {
      list: ({ to }: { to: string }) =>
        listFails
          ? Promise.reject(Object.assign(new Error("upstream"), { status: 503 }))
          : Promise.resolve(
            to === "+17205550001"
              ? [{
                sid: "SMearlier",
                body: "hi",
                dateCreated: new Date(),
                direction: "outbound-api",
              }]
              : [],
          ),
      create: ({ to }: { to: string }) => {
        created.push(to);
        return Promise.resolve({ sid: `SMnew${to.slice(-1)}` });
      },
    },
  } as unknown as Twilio;
  const sender = createSmsSender({ twilio, from: "+17205550100" });
  const sms = (to: string) => ({
    row: row(to, { channel: "sms", recipient: to, in_doubt_since: new Date(Date.now() - 5000) }),
    payload: { to, body: "hi" },
  });
  const answers: Answer[] = [];
  await sender.send([sms("+17205550001"), sms("+17205550002")], drainSide(answers));
  assert.deepEqual(created, ["+17205550002"]);
  assert.deepEqual(answers.find((a) => a.row.key === "+17205550001")!.result, {
    ok: true,
    providerMessageId: "SMearlier",
    reconciled: true,
  });
  listFails = true;
  const later: Answer[] = [];
  await sender.send([sms("+17205550003")], drainSide(later));
  assert.deepEqual(created, ["+17205550002"], "not sent while Twilio cannot say");
  assert.equal(later[0].result.ok, false);
  assert.equal(!later[0].result.ok && later[0].result.failure.transient, true);
});

Deno.test("an SMS whose lease passed to another sender while it waited is not sent", async () => {
  const created: string[] = [];
  const twilio = {
    messages: {
      create: ({ to }: { to: string }) => {
        created.push(to);
        return Promise.resolve({ sid: `SM${to.slice(-1)}` });
      },
    },
  } as unknown as Twilio;
  const sender = createSmsSender({ twilio, from: "+17205550100" });
  const sms = (to: string) => ({
    row: row(to, { channel: "sms", recipient: to }),
    payload: { to, body: "hi" },
  });
  const answers: Answer[] = [];
  const refs: string[] = [];
  await sender.send(
    [sms("+17205550001"), sms("+17205550002")],
    drainSide(answers, refs, ["+17205550001"]),
  );
  assert.deepEqual(created, ["+17205550002"]);
  assert.deepEqual(refs, ["+17205550001", "+17205550002"], "each text is marked before its call");
  const lost = answers.find((a) => a.row.key === "+17205550001")!.result;
  assert.equal(lost.ok, false);
});

Deno.test("resendLimits() reads the limit an answer states, and nothing from an answer without one", async (t) => {
  const cases: [string, Record<string, string> | null, { limit: number } | null][] = [
    ["a success at the default", { "ratelimit-limit": "5", "ratelimit-remaining": "4" }, {
      limit: 5,
    }],
    ["a raised team", { "ratelimit-limit": "10" }, { limit: 10 }],
    ["a 429", { "ratelimit-limit": "2", "ratelimit-remaining": "0", "retry-after": "1" }, {
      limit: 2,
    }],
    ["no headers", null, null],
    ["no limit header", { "ratelimit-remaining": "3" }, null],
    ["not a number", { "ratelimit-limit": "five" }, null],
    ["zero", { "ratelimit-limit": "0" }, null],
  ];
  for (const [name, headers, expected] of cases) {
    await t.step(name, () => assert.deepEqual(resendLimits(headers), expected));
  }
});

Deno.test("the email sender tells the shared limiter the limit Resend's answer states", async () => {
  const learned: number[] = [];
  const limiter = {
    ...openLimiter(),
    learn: ({ limit }: { limit: number }) => {
      learned.push(limit);
      return Promise.resolve();
    },
  } as unknown as RateLimiter;
  const resend = {
    batch: {
      send: (emails: unknown[]) =>
        Promise.resolve({
          data: { data: emails.map((_, i) => ({ id: `em_${i}` })) },
          error: null,
          headers: { "ratelimit-limit": "5", "ratelimit-remaining": "4", "ratelimit-reset": "1" },
        }),
    },
    emails: { send: () => Promise.reject(new Error("single send not expected")) },
  } as unknown as Resend;
  const sender = createEmailSender({ resend, from: "shop@example.com", limiter });
  const answers: Answer[] = [];
  await sender.send(
    ["a", "b"].map((key) => ({
      row: row(key),
      payload: { to: `${key}@example.com`, subject: "s", html: "h", text: "t" },
    })),
    drainSide(answers),
  );
  assert.equal(answers.length, 2);
  assert.deepEqual(learned, [5]);
});

Deno.test("the SMS sender pauses every sender once on Twilio's 429 and calls for no further text of the batch", async () => {
  const called: string[] = [];
  const pauses: number[] = [];
  const twilio = {
    messages: {
      create: ({ to }: { to: string }) => {
        called.push(to);
        return to === "+17205550002"
          ? Promise.reject(
            Object.assign(new Error("Too Many Requests"), { status: 429, code: 20429 }),
          )
          : Promise.resolve({ sid: `SM${to.slice(-4)}`, numSegments: "2" });
      },
    },
  } as unknown as Twilio;
  const sender = createSmsSender({
    twilio,
    from: "+17205550100",
    concurrency: 1,
    pause: {
      remainingMs: () => Promise.resolve(0),
      pauseFor: (ms: number) => {
        pauses.push(ms);
        return Promise.resolve();
      },
    } as unknown as ProviderPause,
  });
  const answers: Answer[] = [];
  const phones = ["+17205550001", "+17205550002", "+17205550003", "+17205550004"];
  await sender.send(
    phones.map((to) => ({
      row: row(to, { channel: "sms", recipient: to }),
      payload: { to, body: "hi" },
    })),
    drainSide(answers),
  );
  assert.deepEqual(called, ["+17205550001", "+17205550002"], "nothing called after the 429");
  assert.deepEqual(pauses, [1000], "one pause, for every sender");
  const byKey = new Map(answers.map((a) => [a.row.key, a.result]));
  assert.deepEqual(byKey.get("+17205550001"), {
    ok: true,
    providerMessageId: "SM0001",
    segments: 2,
  });
  for (const to of phones.slice(1)) {
    const result = byKey.get(to)!;
    assert.ok(!result.ok && result.failure.throttled && result.failure.transient, to);
  }
});
