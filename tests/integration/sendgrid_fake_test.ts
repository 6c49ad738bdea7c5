/**
 * The fake SendGrid, driven by our Mail Send call (shared/channels/sendgrid_calls.ts): it
 * answers as SendGrid does, so the failover path is tested against SendGrid's wire format.
 * It starts its own fakes on ephemeral ports; no stack is needed.
 */
import assert from "node:assert/strict";
import { type Fakes, startFakes } from "../../supabase/local/fakes/mod.ts";
import type { FakeSendGridEmail } from "../../supabase/local/fakes/mod.ts";
import { type SendGridAccount, sendThroughSendGrid } from "../../shared/channels/sendgrid_calls.ts";
import type { OutgoingEmail } from "../../shared/channels/resend_calls.ts";

const apiKey = "SG.sendgrid-fake-test.key";

async function withFakes(
  fn: (fakes: Fakes, account: SendGridAccount) => Promise<void>,
  opts: { perSecond?: number } = {},
) {
  const fakes = await startFakes({
    hostname: "127.0.0.1",
    twilioPort: 0,
    resendPort: 0,
    sendgridPort: 0,
    webhookPort: 0,
    turnstilePort: 0,
    inboxPort: 0,
    twilio: { accountSid: "AC0123456789abcdef0123456789abcdef", authToken: "x".repeat(32) },
    resendApiKey: "re_test",
    sendgridApiKey: apiKey,
    sendgridRateLimitPerSecond: opts.perSecond,
    storage: {
      serviceRoleKey: "service-role-key-for-local-fakes",
      publicUrl: "http://127.0.0.1:9",
    },
    log: () => {},
  });
  try {
    await fn(fakes, {
      apiKey,
      baseUrl: fakes.sendgridUrl,
      from: "Pink Auto Glass <noreply@pinkautoglass.com>",
    });
  } finally {
    await fakes.shutdown();
  }
}

const email = (to = "jane.doe@example.com"): OutgoingEmail => ({
  key: `lead-1:customer_confirmation_email:${to}`,
  from: "ignored by SendGrid's call",
  to,
  cc: ["admin@pinkautoglass.com"],
  subject: "We got your request",
  html: "<p>Thanks, Jane</p>",
  text: "Thanks, Jane",
  replyTo: "hello@pinkautoglass.com",
  headers: { "X-Entity-Ref-ID": "lead-1:customer_confirmation_email" },
});

async function messages(fakes: Fakes): Promise<FakeSendGridEmail[]> {
  return await (await fetch(`${fakes.sendgridUrl}/__fake/messages`)).json();
}

Deno.test("the fake SendGrid accepts a Mail Send with 202 and X-Message-Id, and records it as sent", async () => {
  await withFakes(async (fakes, account) => {
    const result = await sendThroughSendGrid(account, email());
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.provider, "SendGrid");
    assert.match(result.providerMessageId ?? "", /^[\w-]{22}$/);
    const [got] = await messages(fakes);
    assert.equal(got.id, result.providerMessageId);
    assert.equal(got.provider, "sendgrid");
    assert.equal(got.from, "Pink Auto Glass <noreply@pinkautoglass.com>");
    assert.deepEqual(got.to, ["jane.doe@example.com"]);
    assert.deepEqual(got.cc, ["admin@pinkautoglass.com"]);
    assert.deepEqual(got.reply_to, ["hello@pinkautoglass.com"]);
    assert.equal(got.html, "<p>Thanks, Jane</p>");
    assert.equal(got.text, "Thanks, Jane");
    assert.deepEqual(got.headers, { "X-Entity-Ref-ID": "lead-1:customer_confirmation_email" });
    assert.deepEqual(got.custom_args, {
      outbox_key: "lead-1:customer_confirmation_email:jane.doe@example.com",
    });
    const inbox = await (await fetch(`${fakes.inboxUrl}/`)).text();
    assert.match(inbox, /via SendGrid/, "the inbox shows which provider took it");
  });
});

Deno.test("the fake SendGrid refuses as SendGrid does: 401 unknown key, 403 a key without Mail Send, 400 a bad address, 429 past its limit", async () => {
  await withFakes(async (fakes, account) => {
    const unknown = await sendThroughSendGrid({ ...account, apiKey: "not-a-key" }, email());
    assert.deepEqual(!unknown.ok && [unknown.failure.status, unknown.failure.transient], [
      401,
      false,
    ]);
    const forbidden = await sendThroughSendGrid({ ...account, apiKey: "SG.other.key" }, email());
    assert.deepEqual(!forbidden.ok && [forbidden.failure.status, forbidden.failure.message], [
      403,
      "access forbidden",
    ]);
    const bad = await sendThroughSendGrid(account, email("not an address"));
    assert.equal(!bad.ok && bad.failure.status, 400);
    assert.equal(!bad.ok && bad.failure.code, "personalizations.0.to.0.email");
    assert.equal(!bad.ok && bad.failure.recipientRefused, "invalid_address");
    const duplicate = await fetch(`${fakes.sendgridUrl}/v3/mail/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        personalizations: [{ to: [{ email: "a@b.co" }], cc: [{ email: "A@b.co" }] }],
        from: { email: "noreply@pinkautoglass.com" },
        subject: "s",
        content: [{ type: "text/plain", value: "x" }, { type: "text/html", value: "<p>x</p>" }],
      }),
    });
    assert.equal(duplicate.status, 400);
    const { errors } = await duplicate.json();
    assert.equal(errors[0].field, "personalizations.0.cc", "a duplicate address is refused");
    assert.equal((await messages(fakes)).length, 0, "nothing refused is recorded");
  });
  await withFakes(async (fakes, account) => {
    const first = await sendThroughSendGrid(account, email());
    assert.equal(first.ok, true);
    const limited = await sendThroughSendGrid(account, email());
    assert.equal(!limited.ok && limited.failure.throttled, true);
    assert.ok(!limited.ok && (limited.failure.retryAfterSeconds ?? 0) >= 1);
    const requests = await (await fetch(`${fakes.sendgridUrl}/__fake/requests`)).json();
    const last = requests.at(-1).response;
    assert.equal(last.status, 429);
    assert.equal(last.headers["x-ratelimit-limit"], "1");
    assert.equal(last.headers["x-ratelimit-remaining"], "0");
    assert.match(last.headers["x-ratelimit-reset"], /^\d{10}$/);
  }, { perSecond: 1 });
});

Deno.test("the fake SendGrid takes the shared faults: a 500 is transient, a dropped answer is a call in doubt", async () => {
  await withFakes(async (fakes, account) => {
    const fault = (rule: unknown) =>
      fetch(`${fakes.sendgridUrl}/__fake/faults`, { method: "POST", body: JSON.stringify(rule) })
        .then((r) => r.body?.cancel());
    await fault({ path: "/v3/mail/send", times: 1, status: 500 });
    const failed = await sendThroughSendGrid(account, email());
    assert.deepEqual(!failed.ok && [failed.failure.status, failed.failure.transient], [500, true]);
    await fault({ path: "/v3/mail/send", times: 1, acceptFirst: true, drop: true });
    const lost = await sendThroughSendGrid(account, email());
    assert.equal(!lost.ok && lost.failure.network, true);
    assert.equal((await messages(fakes)).length, 1, "accepted, though its answer was lost");
  });
});
