/**
 * The local fakes, driven by the real SDKs through our provider clients: what our functions
 * will see locally is what they would see from Twilio, Resend and Supabase Storage. The
 * webhook receiver is driven with plain fetch, as our webhook sender will call it.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import twilio from "twilio";
import { startFakes } from "../../supabase/local/fakes/mod.ts";
import type {
  FakeConversation,
  FakeEmail,
  Fakes,
  FakeSms,
  FakeUpload,
  FakeWebhook,
  InboundResult,
  RecordedRequest,
} from "../../supabase/local/fakes/mod.ts";
import { createResendClient } from "../../shared/providers/resend_client.ts";
import { createEmailSender } from "../../shared/channels/email.ts";
import type { Answer } from "../../shared/outbox/channel.ts";
import type { RateLimiter } from "../../shared/outbox/rate_limiter.ts";
import { appointmentIcs } from "../../templates/calendar/appointment_ics.ts";
import { makeOutboxRow } from "../unit/_fixtures.ts";
import { createStorageClient } from "../../shared/providers/storage_client.ts";
import { createTwilioClient } from "../../shared/providers/twilio_client.ts";
import { waitFor } from "../support/wait_for.ts";

const accountSid = "AC0123456789abcdef0123456789abcdef";
const authToken = "f00dfeedf00dfeedf00dfeedf00dfeed";
const resendApiKey = "re_test_local_fake_key";
const serviceRoleKey = "service-role-key-for-local-fakes";
const lead = { phone: "+17205557465", email: "jane.doe@example.com" };
const shopNumber = "+15005550006";
const crmToken = "local-crm-token-for-fakes";
const webhookSecret = `whsec_${btoa("local-webhook-signing-secret")}`;

interface Stack {
  fakes: Fakes;
  gatewayUrl: string;
  logs: string[];
  /** Moves the fakes' clock forward (rate windows, signed-URL expiry). */
  advanceClock(ms: number): void;
  twilio: ReturnType<typeof createTwilioClient>;
  resend: ReturnType<typeof createResendClient>;
  storage: ReturnType<typeof createStorageClient>;
  close(): Promise<void>;
}

interface StackOptions {
  resendRateLimitPerSecond?: number;
  twilioMessagesPerSecond?: number;
  /** The shop's number's "a message comes in" webhook. */
  inboundWebhookUrl?: string;
}

/** Fakes on ephemeral ports, plus a tiny API gateway that mounts Storage at /storage/v1. */
async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const mounted: { storage?: Fakes["storageHandler"] } = {};
  const gateway = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (mounted.storage && path.startsWith("/storage/v1")) return mounted.storage(req);
    return new Response("no such service", { status: 404 });
  });
  const gatewayUrl = `http://127.0.0.1:${gateway.addr.port}`;
  const logs: string[] = [];
  let offset = 0;
  const fakes = await startFakes({
    hostname: "127.0.0.1",
    twilioPort: 0,
    resendPort: 0,
    sendgridPort: 0,
    webhookPort: 0,
    turnstilePort: 0,
    inboxPort: 0,
    twilio: {
      accountSid,
      authToken,
      phoneNumber: shopNumber,
      inboundWebhookUrl: opts.inboundWebhookUrl,
    },
    resendApiKey,
    sendgridApiKey: "SG.fakes-test.key",
    storage: { serviceRoleKey, publicUrl: gatewayUrl },
    resendRateLimitPerSecond: opts.resendRateLimitPerSecond ?? 100,
    log: (line) => logs.push(line),
    now: () => Date.now() + offset,
    statusCallbackDelayMs: 10,
    twilioMessagesPerSecond: opts.twilioMessagesPerSecond ?? 1000,
  });
  mounted.storage = fakes.storageHandler;
  return {
    fakes,
    gatewayUrl,
    logs,
    advanceClock: (ms) => (offset += ms),
    twilio: createTwilioClient({ accountSid, authToken, apiBaseUrl: fakes.twilioUrl }),
    resend: createResendClient({ apiKey: resendApiKey, baseUrl: fakes.resendUrl }),
    storage: createStorageClient({ supabaseUrl: gatewayUrl, serviceRoleKey }),
    async close() {
      await fakes.shutdown();
      await gateway.shutdown();
    },
  };
}

async function withStack(
  fn: (stack: Stack) => Promise<void>,
  opts?: StackOptions,
): Promise<void> {
  const stack = await startStack(opts);
  try {
    await fn(stack);
  } finally {
    await stack.close();
  }
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return await res.json();
}

async function control(baseUrl: string, action: string, body: unknown = {}): Promise<Response> {
  const res = await fetch(`${baseUrl}/__fake/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
  });
  assert.ok(
    res.status < 300,
    `POST /__fake/${action} answered ${res.status}: ${await res.clone().text()}`,
  );
  return res;
}

/** Signs like a Standard Webhooks sender: `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
function standardWebhookSignature(id: string, timestamp: string, body: string): string {
  const key = Buffer.from(webhookSecret.slice("whsec_".length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

function postWebhook(url: string, body: string, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** A request the fake Twilio posted to one of our webhooks. */
interface TwilioPost {
  url: string;
  headers: Headers;
  params: Record<string, string>;
  /** When it arrived (ms). */
  at: number;
}

/**
 * A stand-in for our functions that records what the fake Twilio posts to it, and answers
 * with `answer` (default: an empty TwiML `<Response/>`).
 */
function startReceiver(answer: (post: TwilioPost) => Response = () => twiml("<Response/>")) {
  const received: TwilioPost[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const params = Object.fromEntries(new URLSearchParams(await req.text()));
    const post = { url: req.url, headers: req.headers, params, at: Date.now() };
    received.push(post);
    return answer(post);
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    received,
    close: () => server.shutdown(),
  };
}

function twiml(body: string, status = 200): Response {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>${body}`, {
    status,
    headers: { "content-type": "text/xml" },
  });
}

/** True when twilio.validateRequest accepts the post's signature for the URL it was sent to. */
function validlySigned(post: TwilioPost): boolean {
  const signature = post.headers.get("x-twilio-signature");
  return signature !== null && twilio.validateRequest(authToken, signature, post.url, post.params);
}

async function inbound(baseUrl: string, body: Record<string, unknown>): Promise<InboundResult> {
  return await (await control(baseUrl, "inbound", body)).json();
}

function email(overrides: Record<string, unknown> = {}) {
  return {
    from: "Leadwire <leads@shop.example>",
    to: [lead.email],
    subject: "We got your quote request",
    html: "<p>Hi Jane, we will call you shortly.</p>",
    text: "Hi Jane, we will call you shortly.",
    ...overrides,
  };
}

Deno.test("twilio messages.create is recorded with its To, From and Body and gets an SM sid", async () => {
  await withStack(async ({ fakes, twilio: client }) => {
    const message = await client.messages.create({
      to: lead.phone,
      from: shopNumber,
      body: "New lead: Jane Doe",
    });

    assert.match(message.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(message.status, "queued");
    assert.equal(message.to, lead.phone);
    assert.equal(message.accountSid, accountSid);
    assert.equal(message.numSegments, "1");
    assert.ok(message.dateCreated instanceof Date && !isNaN(message.dateCreated.getTime()));
    assert.equal(message.errorCode, null);

    const sent = await getJson<FakeSms[]>(`${fakes.twilioUrl}/__fake/messages`);
    assert.deepEqual(
      sent.map(({ sid, to, from, body }) => ({ sid, to, from, body })),
      [{ sid: message.sid, to: lead.phone, from: shopNumber, body: "New lead: Jane Doe" }],
    );
    const [request] = await getJson<RecordedRequest[]>(`${fakes.twilioUrl}/__fake/requests`);
    assert.equal(request.path, `/2010-04-01/Accounts/${accountSid}/Messages.json`);
    assert.equal(request.headers.authorization, "[redacted]");
    assert.deepEqual(request.body, {
      To: lead.phone,
      From: shopNumber,
      Body: "New lead: Jane Doe",
    });
    assert.equal(request.response.status, 201);

    const fetched = await client.messages(message.sid).fetch();
    assert.equal(fetched.sid, message.sid);
    assert.equal(fetched.body, "New lead: Jane Doe");
  });
});

Deno.test("twilio counts segments as GSM-7 or UCS-2 like the real API", async () => {
  await withStack(async ({ twilio: client }) => {
    const gsm = await client.messages.create({
      to: lead.phone,
      from: shopNumber,
      body: "a".repeat(161),
    });
    const ucs2 = await client.messages.create({
      to: lead.phone,
      from: shopNumber,
      body: "Thanks! 🚗 ".repeat(8),
    });
    assert.equal(gsm.numSegments, "2");
    assert.equal(ucs2.numSegments, "2");
  });
});

Deno.test("twilio refuses magic and opted-out numbers with RestException codes", async (t) => {
  await withStack(async ({ fakes, twilio: client }) => {
    const refusedWith = async (to: string, code: number) => {
      await assert.rejects(
        client.messages.create({ to, from: shopNumber, body: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof twilio.RestException, `expected RestException, got ${error}`);
          assert.equal(error.status, 400);
          assert.equal(error.code, code);
          assert.equal(error.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
          return true;
        },
      );
    };
    await t.step("+15005550001 is an invalid To: 21211", () => refusedWith("+15005550001", 21211));
    await t.step(
      "a To that is not E.164 is invalid: 21211",
      () => refusedWith("720-555-7465", 21211),
    );
    await t.step("+15005550009 is not a mobile: 21614", () => refusedWith("+15005550009", 21614));
    await t.step("+15005550004 is unsubscribed: 21610", () => refusedWith("+15005550004", 21610));
    await t.step("a phone that sent STOP is unsubscribed: 21610", async () => {
      await client.messages.create({ to: lead.phone, from: shopNumber, body: "before STOP" });
      await control(fakes.twilioUrl, "inbound-stop", { phone: lead.phone });
      await refusedWith(lead.phone, 21610);
    });
    await t.step("none of the refused sends counts as a message", async () => {
      const sent = await getJson<FakeSms[]>(`${fakes.twilioUrl}/__fake/messages`);
      assert.deepEqual(sent.map((m) => m.body), ["before STOP"]);
    });
  });
});

Deno.test("twilio answers wrong credentials with 401 and code 20003", async () => {
  await withStack(async ({ fakes }) => {
    const client = createTwilioClient({
      accountSid,
      authToken: "wrong",
      apiBaseUrl: fakes.twilioUrl,
    });
    await assert.rejects(
      client.messages.create({ to: lead.phone, from: shopNumber, body: "hi" }),
      (error: unknown) => {
        assert.ok(error instanceof twilio.RestException);
        assert.equal(error.status, 401);
        assert.equal(error.code, 20003);
        return true;
      },
    );
  });
});

Deno.test("twilio takes a burst of sends at once and sends them at the sender's pace", async () => {
  const receiver = startReceiver();
  try {
    await withStack(async ({ twilio: client }) => {
      const messages = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          client.messages.create({
            to: lead.phone,
            from: shopNumber,
            body: `Reminder ${i}`,
            statusCallback: `${receiver.origin}/status`,
          })),
      );
      assert.ok(messages.every((m) => m.status === "queued"), "all accepted, queued");
      await waitFor("six sent", () =>
        Promise.resolve(
          receiver.received.filter((r) => r.params.MessageStatus === "sent").length === 6,
        ));
      const sentAt = receiver.received.filter((r) => r.params.MessageStatus === "sent")
        .map((r) => r.at);
      // At 5 a second, the sixth leaves a second after the first, not with it.
      assert.ok(Math.max(...sentAt) - Math.min(...sentAt) >= 950, `sent at ${sentAt}`);
    }, { twilioMessagesPerSecond: 5 });
  } finally {
    await receiver.close();
  }
});

Deno.test("twilio posts signed status callbacks, sent then delivered (none for the initial queued), that validateRequest accepts", async (t) => {
  const receiver = startReceiver();
  const callbackUrl = `${receiver.origin}/functions/v1/twilio-inbound?lead=42`;
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      const message = await client.messages.create({
        to: lead.phone,
        from: shopNumber,
        body: "New lead",
        statusCallback: callbackUrl,
      });
      await waitFor("two status callbacks", () => Promise.resolve(receiver.received.length >= 2));

      await t.step("the statuses arrive in order and name the message", () => {
        assert.deepEqual(receiver.received.map((r) => r.params.MessageStatus), [
          "sent",
          "delivered",
        ]);
        for (const { params } of receiver.received) {
          assert.deepEqual(params, {
            AccountSid: accountSid,
            ApiVersion: "2010-04-01",
            From: shopNumber,
            MessageSid: message.sid,
            MessageStatus: params.MessageStatus,
            SmsSid: message.sid,
            SmsStatus: params.MessageStatus,
            To: lead.phone,
          });
        }
      });
      await t.step("they are form posts from TwilioProxy with an idempotency token", () => {
        for (const { headers } of receiver.received) {
          assert.match(headers.get("content-type") ?? "", /^application\/x-www-form-urlencoded/);
          assert.equal(headers.get("user-agent"), "TwilioProxy/1.1");
          assert.ok(headers.get("i-twilio-idempotency-token"));
        }
      });
      await t.step(
        "twilio.validateRequest accepts each signature, and refuses a changed body",
        () => {
          for (const post of receiver.received) {
            assert.equal(post.url, callbackUrl);
            assert.ok(validlySigned(post));
            assert.ok(!validlySigned({ ...post, params: { ...post.params, To: "+15555550100" } }));
          }
        },
      );
      await t.step("the message resource follows the callbacks", async () => {
        const fetched = await client.messages(message.sid).fetch();
        assert.equal(fetched.status, "delivered");
        assert.equal(fetched.errorCode, null);
      });
      await t.step("switched off, no callback is posted", async () => {
        await control(fakes.twilioUrl, "status-callbacks", { enabled: false });
        const quiet = await client.messages.create({
          to: lead.phone,
          from: shopNumber,
          body: "x",
          statusCallback: callbackUrl,
        });
        await waitFor(
          "the quiet message to be delivered",
          async () => (await client.messages(quiet.sid).fetch()).status === "delivered",
        );
        assert.equal(receiver.received.length, 2);
      });
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a send through a Messaging Service is accepted, then posts queued, sent and delivered with its MessagingServiceSid", async () => {
  const receiver = startReceiver();
  const service = "MG0123456789abcdef0123456789abcdef";
  try {
    await withStack(async ({ twilio: client }) => {
      const message = await client.messages.create({
        to: lead.phone,
        messagingServiceSid: service,
        body: "New lead",
        statusCallback: `${receiver.origin}/status`,
      });
      assert.equal(message.status, "accepted");
      await waitFor("three status callbacks", () => Promise.resolve(receiver.received.length >= 3));
      assert.deepEqual(
        receiver.received.map((r) => [r.params.MessageStatus, r.params.MessagingServiceSid]),
        [["queued", service], ["sent", service], ["delivered", service]],
      );
      assert.ok(receiver.received.every(validlySigned));
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a phone set to fail ends undelivered with ErrorCode 30006, or failed, until it is cleared", async (t) => {
  const receiver = startReceiver();
  const callbackUrl = `${receiver.origin}/functions/v1/twilio-inbound`;
  const landline = "+17205550123";
  const statusesOf = (sid: string) =>
    receiver.received.filter((r) => r.params.MessageSid === sid).map((r) =>
      r.params.ErrorCode === undefined
        ? r.params.MessageStatus
        : `${r.params.MessageStatus} ${r.params.ErrorCode}`
    );
  const send = (client: Stack["twilio"]) =>
    client.messages.create({
      to: landline,
      from: shopNumber,
      body: "Your quote is ready",
      statusCallback: callbackUrl,
    });
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      await t.step("undelivered: sent, then undelivered with the error code", async () => {
        await control(fakes.twilioUrl, "delivery-failure", {
          phone: landline,
          status: "undelivered",
          error_code: 30006,
        });
        const message = await send(client);
        assert.equal(message.status, "queued", "the send itself is accepted");
        await waitFor(
          "the final status",
          () => Promise.resolve(statusesOf(message.sid).length >= 2),
        );
        assert.deepEqual(statusesOf(message.sid), ["sent", "undelivered 30006"]);
        assert.ok(receiver.received.every(validlySigned));
        const fetched = await client.messages(message.sid).fetch();
        assert.equal(fetched.status, "undelivered");
        assert.equal(fetched.errorCode, 30006);
        const [listed] = await getJson<FakeSms[]>(`${fakes.twilioUrl}/__fake/messages`);
        assert.deepEqual([listed.status, listed.error_code], ["undelivered", 30006]);
      });
      await t.step("failed: straight from queued to failed, with the error code", async () => {
        await control(fakes.twilioUrl, "delivery-failure", {
          phone: landline,
          status: "failed",
          error_code: 30005,
        });
        const message = await send(client);
        await waitFor(
          "the final status",
          () => Promise.resolve(statusesOf(message.sid).length >= 1),
        );
        assert.deepEqual(statusesOf(message.sid), ["failed 30005"]);
        assert.equal((await client.messages(message.sid).fetch()).dateSent, null);
      });
      await t.step("cleared, the phone's sends are delivered again", async () => {
        await control(fakes.twilioUrl, "delivery-failure", { phone: landline, clear: true });
        const message = await send(client);
        await waitFor(
          "the final status",
          () => Promise.resolve(statusesOf(message.sid).length >= 2),
        );
        assert.deepEqual(statusesOf(message.sid), ["sent", "delivered"]);
      });
      await t.step("a reset clears every failure", async () => {
        await control(fakes.twilioUrl, "delivery-failure", {
          phone: landline,
          status: "failed",
          error_code: 30006,
        });
        await control(fakes.twilioUrl, "reset");
        const message = await send(client);
        await waitFor(
          "the final status",
          () => Promise.resolve(statusesOf(message.sid).length >= 2),
        );
        assert.deepEqual(statusesOf(message.sid), ["sent", "delivered"]);
      });
      await t.step("a failure without a status or a carrier error code is refused", async () => {
        for (
          const body of [{ phone: landline, error_code: 30006 }, {
            phone: landline,
            status: "undelivered",
            error_code: 21610,
          }]
        ) {
          const res = await fetch(`${fakes.twilioUrl}/__fake/delivery-failure`, {
            method: "POST",
            body: JSON.stringify(body),
          });
          assert.equal(res.status, 400);
          assert.match((await res.json()).error, /Cannot set a delivery failure/);
        }
      });
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a customer's text reaches the number's webhook with Twilio's parameters, signed for its public URL", async (t) => {
  const receiver = startReceiver(() =>
    twiml(
      "<Response><Message>Thanks, Jane &amp; welcome &lt;3</Message>" +
        "<Message><Body>Here is the map</Body><Media>https://example.com/map.png</Media>" +
        "</Message></Response>",
    )
  );
  const webhookUrl = `${receiver.origin}/functions/v1/twilio-inbound`;
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      const result = await inbound(fakes.twilioUrl, {
        from: lead.phone,
        body: "Is Tuesday ok?",
      });
      const [post] = receiver.received;

      await t.step("the post carries the parameters Twilio sends for an SMS", () => {
        assert.match(result.message_sid, /^SM[0-9a-f]{32}$/);
        assert.deepEqual(post.params, {
          AccountSid: accountSid,
          ApiVersion: "2010-04-01",
          Body: "Is Tuesday ok?",
          From: lead.phone,
          FromCity: "DENVER",
          FromCountry: "US",
          FromState: "CO",
          FromZip: "80202",
          MessageSid: result.message_sid,
          NumMedia: "0",
          NumSegments: "1",
          SmsMessageSid: result.message_sid,
          SmsSid: result.message_sid,
          SmsStatus: "received",
          To: shopNumber,
          ToCity: "",
          ToCountry: "US",
          ToState: "",
          ToZip: "",
        });
      });
      await t.step("it goes to the configured webhook, form-encoded and signed", () => {
        assert.equal(post.url, webhookUrl);
        assert.equal(post.headers.get("content-type"), "application/x-www-form-urlencoded");
        assert.equal(post.headers.get("user-agent"), "TwilioProxy/1.1");
        assert.ok(post.headers.get("i-twilio-idempotency-token"));
        assert.ok(validlySigned(post), "twilio.validateRequest refused the signature");
        assert.ok(!validlySigned({ ...post, url: `${receiver.origin}/other` }));
      });
      await t.step("the control answers with the webhook's status, TwiML and replies", () => {
        assert.equal(result.status, 200);
        assert.match(result.twiml ?? "", /^<\?xml version="1.0" encoding="UTF-8"\?><Response>/);
        assert.deepEqual(result.replies, ["Thanks, Jane & welcome <3", "Here is the map"]);
        assert.equal(result.auto_reply, null);
      });
      await t.step("the conversation holds the text and each TwiML reply, delivered", async () => {
        const conversations = await getJson<FakeConversation[]>(
          `${fakes.twilioUrl}/__fake/conversations`,
        );
        assert.deepEqual(conversations.map((c) => c.phone), [lead.phone]);
        assert.deepEqual(
          conversations[0].messages.map((m) => [m.direction, m.from, m.to, m.body, m.status]),
          [
            ["inbound", lead.phone, shopNumber, "Is Tuesday ok?", "received"],
            ["outbound-reply", shopNumber, lead.phone, "Thanks, Jane & welcome <3", "delivered"],
            ["outbound-reply", shopNumber, lead.phone, "Here is the map", "delivered"],
          ],
        );
        assert.deepEqual(conversations[0].messages[2].media.map((m) => m.url), [
          "https://example.com/map.png",
        ]);
      });
      await t.step("GET /__fake/messages still lists only sends through the API", async () => {
        assert.deepEqual(await getJson(`${fakes.twilioUrl}/__fake/messages`), []);
      });
      await t.step("Twilio's message list shows the text and the replies", async () => {
        const all = await client.messages.list();
        assert.deepEqual(all.map((m) => m.direction).sort(), [
          "inbound",
          "outbound-reply",
          "outbound-reply",
        ]);
        const toShop = await client.messages.list({ to: shopNumber });
        assert.deepEqual(toShop.map((m) => [m.sid, m.status]), [[result.message_sid, "received"]]);
        assert.equal((await client.messages.list({ to: lead.phone, from: shopNumber })).length, 2);
        assert.equal((await client.messages(result.message_sid).fetch()).body, "Is Tuesday ok?");
      });
    }, { inboundWebhookUrl: webhookUrl });
  } finally {
    await receiver.close();
  }
});

Deno.test("an inbound MMS carries NumMedia, MediaUrl0 and MediaContentType0 and gets an MM sid", async () => {
  const receiver = startReceiver();
  try {
    await withStack(async ({ fakes }) => {
      const result = await inbound(fakes.twilioUrl, {
        from: lead.phone,
        body: "",
        media: [
          { url: "https://example.com/crack.jpg", content_type: "image/jpeg" },
          { url: "https://example.com/crack2.png", content_type: "image/png" },
        ],
        url: `${receiver.origin}/inbound`,
      });
      assert.match(result.message_sid, /^MM[0-9a-f]{32}$/);
      assert.deepEqual(result.replies, [], "<Response/> asks for no reply");
      const { params } = receiver.received[0];
      assert.equal(params.NumMedia, "2");
      assert.equal(params.MediaUrl0, "https://example.com/crack.jpg");
      assert.equal(params.MediaContentType0, "image/jpeg");
      assert.equal(params.MediaUrl1, "https://example.com/crack2.png");
      assert.equal(params.MediaContentType1, "image/png");
      assert.ok(validlySigned(receiver.received[0]));
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("a retried inbound webhook carries the same parameters and idempotency token, and the text is recorded once", async () => {
  let answers = 0;
  const receiver = startReceiver(() =>
    ++answers === 1 ? new Response("boom", { status: 500 }) : twiml("<Response/>")
  );
  try {
    await withStack(async ({ fakes }) => {
      const url = `${receiver.origin}/inbound`;
      const first = await inbound(fakes.twilioUrl, { from: lead.phone, body: "Hello?", url });
      assert.equal(first.status, 500);
      assert.match(first.error ?? "", /^11200/);
      const retry = await inbound(fakes.twilioUrl, { message_sid: first.message_sid, url });
      assert.equal(retry.status, 200);

      const [a, b] = receiver.received;
      assert.deepEqual(b.params, a.params);
      assert.equal(
        b.headers.get("i-twilio-idempotency-token"),
        a.headers.get("i-twilio-idempotency-token"),
      );
      const [conversation] = await getJson<FakeConversation[]>(
        `${fakes.twilioUrl}/__fake/conversations`,
      );
      assert.deepEqual(conversation.messages.map((m) => m.body), ["Hello?"]);
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("an inbound post can go unsigned or with a forged signature, which validateRequest refuses", async () => {
  const receiver = startReceiver();
  try {
    await withStack(async ({ fakes }) => {
      const url = `${receiver.origin}/inbound`;
      await inbound(fakes.twilioUrl, { from: lead.phone, body: "hi", url, signature: "missing" });
      await inbound(fakes.twilioUrl, { from: lead.phone, body: "hi", url, signature: "forged" });
      const [missing, forged] = receiver.received;
      assert.equal(missing.headers.get("x-twilio-signature"), null);
      assert.ok(forged.headers.get("x-twilio-signature"));
      assert.ok(!validlySigned(forged));
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("with Advanced Opt-Out, STOP carries OptOutType and Twilio's own reply, blocks later sends with 21610 and the TwiML reply; START lifts it", async (t) => {
  const receiver = startReceiver(() =>
    twiml("<Response><Message>Sorry to see you go</Message></Response>")
  );
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      const url = `${receiver.origin}/inbound`;
      await client.messages.create({ to: lead.phone, from: shopNumber, body: "Your quote" });
      const stop = await inbound(fakes.twilioUrl, {
        from: lead.phone,
        body: " stop ",
        advanced_opt_out: true,
        url,
      });

      await t.step("the webhook gets OptOutType STOP", () => {
        assert.equal(receiver.received[0].params.OptOutType, "STOP");
        assert.equal(receiver.received[0].params.Body, " stop ");
        assert.ok(validlySigned(receiver.received[0]));
      });
      await t.step(
        "Twilio answers itself; the TwiML reply to an opted-out phone fails",
        async () => {
          assert.match(stop.auto_reply ?? "", /^You have successfully been unsubscribed/);
          const [conversation] = await getJson<FakeConversation[]>(
            `${fakes.twilioUrl}/__fake/conversations`,
          );
          assert.deepEqual(
            conversation.messages.map((m) => [m.direction, m.auto_reply, m.status, m.error_code]),
            [
              ["outbound-api", false, conversation.messages[0].status, null],
              ["inbound", false, "received", null],
              ["outbound-reply", true, "delivered", null],
              ["outbound-reply", false, "failed", 21610],
            ],
          );
        },
      );
      await t.step("later sends are refused with 21610", async () => {
        await assert.rejects(
          client.messages.create({ to: lead.phone, from: shopNumber, body: "Still there?" }),
          (error: unknown) => error instanceof twilio.RestException && error.code === 21610,
        );
      });
      await t.step(
        "START carries OptOutType START, gets Twilio's reply and lifts the block",
        async () => {
          const start = await inbound(fakes.twilioUrl, {
            from: lead.phone,
            body: "Start",
            advanced_opt_out: true,
            url,
          });
          assert.equal(receiver.received[1].params.OptOutType, "START");
          assert.match(start.auto_reply ?? "", /resubscribed/);
          await client.messages.create({ to: lead.phone, from: shopNumber, body: "Welcome back" });
        },
      );
      await t.step(
        "without Advanced Opt-Out a keyword carries no OptOutType and is left to the webhook to answer",
        async () => {
          const help = await inbound(fakes.twilioUrl, { from: lead.phone, body: "HELP", url });
          assert.equal(receiver.received[2].params.OptOutType, undefined);
          assert.equal(help.auto_reply, null);
        },
      );
      await t.step(
        "a longer text is no keyword: STOP PLEASE is not blocked by Twilio",
        async () => {
          const result = await inbound(fakes.twilioUrl, {
            from: lead.phone,
            body: "STOP PLEASE",
            advanced_opt_out: true,
            url,
          });
          assert.equal(receiver.received[3].params.OptOutType, undefined);
          assert.equal(result.auto_reply, null);
          await client.messages.create({ to: lead.phone, from: shopNumber, body: "Noted" });
        },
      );
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("without Advanced Opt-Out, STOP gets the webhook's one confirmation, then blocks later sends with 21610", async () => {
  const receiver = startReceiver(() =>
    twiml("<Response><Message>Pink Auto Glass: no more texts</Message></Response>")
  );
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      const stop = await inbound(fakes.twilioUrl, {
        from: lead.phone,
        body: "STOP",
        url: `${receiver.origin}/inbound`,
      });
      assert.equal(stop.auto_reply, null);
      assert.equal(receiver.received[0].params.OptOutType, undefined);
      const [conversation] = await getJson<FakeConversation[]>(
        `${fakes.twilioUrl}/__fake/conversations`,
      );
      assert.deepEqual(
        conversation.messages.map((m) => [m.direction, m.body, m.status]),
        [
          ["inbound", "STOP", "received"],
          ["outbound-reply", "Pink Auto Glass: no more texts", "delivered"],
        ],
      );
      await assert.rejects(
        client.messages.create({ to: lead.phone, from: shopNumber, body: "Still there?" }),
        (error: unknown) => error instanceof twilio.RestException && error.code === 21610,
      );
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("an inbound text is refused with 400 without a from, a URL to post to, or with an unknown field", async () => {
  await withStack(async ({ fakes }) => {
    for (
      const body of [
        { body: "hi", url: "http://127.0.0.1:9/x" },
        { from: lead.phone, body: "hi" },
        { from: lead.phone, body: "hi", url: "http://127.0.0.1:9/x", extra: 1 },
        { from: lead.phone, body: "hi", url: "javascript:alert(1)" },
      ]
    ) {
      const res = await fetch(`${fakes.twilioUrl}/__fake/inbound`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).error, /^Cannot receive a message/);
    }
  });
});

Deno.test("the inbox shows each phone's conversation as bubbles with delivery status, escaping the customer's text", async () => {
  const receiver = startReceiver(() =>
    twiml("<Response><Message>We will call</Message></Response>")
  );
  try {
    await withStack(async ({ fakes, twilio: client }) => {
      await control(fakes.twilioUrl, "delivery-failure", {
        phone: lead.phone,
        status: "undelivered",
        error_code: 30006,
      });
      const sent = await client.messages.create({
        to: lead.phone,
        from: shopNumber,
        body: "Your quote is ready",
      });
      await waitFor(
        "the send to end undelivered",
        async () => (await client.messages(sent.sid).fetch()).status === "undelivered",
      );
      await inbound(fakes.twilioUrl, {
        from: lead.phone,
        body: "<script>alert('x')</script>",
        media: [{ url: 'https://example.com/a.jpg?"><b>x', content_type: "image/jpeg" }],
        url: `${receiver.origin}/inbound`,
      });

      const api = await getJson<{ conversations: FakeConversation[] }>(`${fakes.inboxUrl}/api`);
      assert.deepEqual(api.conversations[0].messages.map((m) => m.direction), [
        "outbound-api",
        "inbound",
        "outbound-reply",
      ]);
      const page = await (await fetch(fakes.inboxUrl)).text();
      assert.ok(!page.includes("<script>alert"), "the customer's text is not escaped");
      assert.ok(page.includes("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
      assert.ok(!page.includes('"><b>x'), "the media URL is not escaped");
      assert.ok(page.includes('href="https://example.com/a.jpg?&quot;&gt;&lt;b&gt;x"'));
      assert.ok(page.includes("undelivered · error 30006"));
      assert.ok(page.includes("TwiML reply"));
      assert.ok(page.includes('class="msg ours"') && page.includes('class="msg theirs"'));
    });
  } finally {
    await receiver.close();
  }
});

Deno.test("resend emails.send and batch.send are recorded, and an Idempotency-Key replay is not recorded twice", async () => {
  await withStack(async ({ fakes, resend }) => {
    const first = await resend.emails.send(email({ headers: { "X-Lead-Id": "42" } }), {
      idempotencyKey: "lead-42/email",
    });
    assert.equal(first.error, null);
    assert.match(first.data!.id, /^[0-9a-f-]{36}$/);

    const replay = await resend.emails.send(email({ headers: { "X-Lead-Id": "42" } }), {
      idempotencyKey: "lead-42/email",
    });
    assert.deepEqual(replay.data, first.data);

    const batch = await resend.batch.send([
      email({ to: ["owner@shop.example"], subject: "New lead: Jane" }),
      email({ to: ["tech@shop.example"], subject: "New lead: Jane" }),
    ]);
    assert.equal(batch.error, null);
    assert.equal(batch.data!.data.length, 2);

    const sent = await getJson<FakeEmail[]>(`${fakes.resendUrl}/__fake/messages`);
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[0], {
      ...sent[0],
      id: first.data!.id,
      from: "Leadwire <leads@shop.example>",
      to: [lead.email],
      subject: "We got your quote request",
      html: "<p>Hi Jane, we will call you shortly.</p>",
      text: "Hi Jane, we will call you shortly.",
      headers: { "X-Lead-Id": "42" },
      idempotency_key: "lead-42/email",
      batch: false,
    });
    assert.deepEqual(sent.slice(1).map((e) => [e.to[0], e.batch]), [["owner@shop.example", true], [
      "tech@shop.example",
      true,
    ]]);

    const requests = await getJson<RecordedRequest[]>(`${fakes.resendUrl}/__fake/requests`);
    assert.equal(requests.length, 3, "the replay is recorded as a request, not as a message");
    assert.equal(requests[0].headers.authorization, "[redacted]");

    const fetched = await resend.emails.get(first.data!.id);
    assert.equal(fetched.data?.subject, "We got your quote request");
  });
});

Deno.test("resend refuses a reused Idempotency-Key with another body, or while the first is in flight", async () => {
  await withStack(async ({ fakes, resend }) => {
    // Sent together, not staggered by a guess: whichever arrives first holds the key for the
    // whole second of latency, and the other arrives within it.
    await control(fakes.resendUrl, "latency", { ms: 1_000 });
    const answers = await Promise.all([
      resend.emails.send(email(), { idempotencyKey: "lead-7/email" }),
      resend.emails.send(email(), { idempotencyKey: "lead-7/email" }),
    ]);
    const accepted = answers.filter((a) => a.error === null);
    const refused = answers.filter((a) => a.error !== null);
    assert.equal(accepted.length, 1, "one of the two is accepted");
    assert.equal(refused[0]?.error?.name, "concurrent_idempotent_requests");
    assert.equal(refused[0]?.error?.statusCode, 409);
    await control(fakes.resendUrl, "latency", { ms: 0 });

    const changed = await resend.emails.send(email({ subject: "Another subject" }), {
      idempotencyKey: "lead-7/email",
    });
    assert.equal(changed.error?.name, "invalid_idempotent_request");
    assert.equal(changed.error?.statusCode, 409);
    assert.equal((await getJson<FakeEmail[]>(`${fakes.resendUrl}/__fake/messages`)).length, 1);
  });
});

Deno.test("resend answers the 3rd request within a second with 429 and retry-after", async () => {
  await withStack(async ({ resend, advanceClock }) => {
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await resend.emails.send(email({ subject: `Lead ${i}` })));
    }
    assert.equal(results[0].error, null);
    assert.equal(results[1].error, null);
    assert.equal(results[2].error?.name, "rate_limit_exceeded");
    assert.equal(results[2].error?.statusCode, 429);
    assert.equal(results[2].headers?.["retry-after"], "1");
    assert.equal(results[2].headers?.["ratelimit-limit"], "2");
    assert.equal(results[2].headers?.["ratelimit-remaining"], "0");
    assert.ok(results[2].headers?.["ratelimit-reset"]);

    advanceClock(1000);
    assert.equal((await resend.emails.send(email())).error, null, "a slot frees up after a second");
  }, { resendRateLimitPerSecond: 2 });
});

Deno.test("resend validates like the real API: missing fields, bad addresses, wrong key", async (t) => {
  await withStack(async ({ fakes, resend }) => {
    await t.step("a missing subject is missing_required_field (422)", async () => {
      const { error } = await resend.emails.send(
        { ...email(), subject: undefined } as unknown as ReturnType<typeof email>,
      );
      assert.equal(error?.name, "missing_required_field");
      assert.equal(error?.statusCode, 422);
    });
    await t.step("a malformed To is validation_error (422)", async () => {
      const { error } = await resend.emails.send(email({ to: ["not-an-address"] }));
      assert.equal(error?.name, "validation_error");
      assert.equal(error?.statusCode, 422);
    });
    await t.step("attachments in a batch are validation_error (422)", async () => {
      const { error } = await resend.batch.send(
        [
          email({ attachments: [{ filename: "a.txt", content: "aGk=" }] }),
        ] as unknown as Parameters<typeof resend.batch.send>[0],
      );
      assert.equal(error?.name, "validation_error");
    });
    await t.step("a wrong API key is invalid_api_key (403)", async () => {
      const { error } = await createResendClient({ apiKey: "re_wrong", baseUrl: fakes.resendUrl })
        .emails.send(email());
      assert.equal(error?.name, "invalid_api_key");
      assert.equal(error?.statusCode, 403);
    });
  });
});

/** A Denver appointment's invite, as the email channel attaches it. */
function inviteAttachment() {
  const ics = appointmentIcs({
    uid: "appointment-42@shop.example",
    sequence: 1,
    method: "REQUEST",
    start: new Date("2026-11-27T16:00:00Z"),
    end: new Date("2026-11-27T18:00:00Z"),
    timeZone: "America/Denver",
    summary: "Windshield replacement",
    description: "2019 Honda Civic",
    location: "1234 Main St, Denver",
    organizer: { name: "Leadwire", email: "leads@shop.example" },
    attendee: { name: "Jane Doe", email: lead.email },
  }, { stamp: new Date("2026-11-20T12:00:00Z") });
  const bytes = new TextEncoder().encode(ics);
  return {
    ics,
    bytes,
    attachment: {
      filename: "appointment.ics",
      content: Buffer.from(bytes).toString("base64"),
      contentType: "text/calendar; charset=utf-8; method=REQUEST",
    },
  };
}

Deno.test("resend emails.send accepts an attachment and records its name, type, decoded size and content; the inbox lists it", async () => {
  await withStack(async ({ fakes, resend }) => {
    const { bytes, attachment } = inviteAttachment();
    const sent = await resend.emails.send(email({ attachments: [attachment] }), {
      idempotencyKey: "lead-42:appointment_confirmation_email",
    });
    assert.equal(sent.error, null);

    const [recorded] = await getJson<FakeEmail[]>(`${fakes.resendUrl}/__fake/messages`);
    assert.equal(recorded.batch, false);
    assert.deepEqual(recorded.attachments, [{
      filename: "appointment.ics",
      content_type: "text/calendar; charset=utf-8; method=REQUEST",
      content: attachment.content,
      size: bytes.byteLength,
      path: null,
    }]);
    const [request] = await getJson<RecordedRequest[]>(`${fakes.resendUrl}/__fake/requests`);
    const wire = (request.body as { attachments: Record<string, unknown>[] }).attachments[0];
    assert.equal(wire.content_type, attachment.contentType, "the SDK sends content_type");

    const page = await (await fetch(fakes.inboxUrl)).text();
    assert.ok(page.includes(`>appointment.ics</a>`));
    assert.ok(
      page.includes(`text/calendar; charset=utf-8; method=REQUEST · ${bytes.byteLength} bytes`),
    );
    assert.ok(page.includes("DTSTART;TZID=America/Denver:20261127T090000"));
    assert.ok(page.includes("SUMMARY:Windshield replacement"));
    assert.ok(!page.includes("DTSTART:19701101T020000"), "the zone's rules are not listed");
    const file = await fetch(`${fakes.inboxUrl}/attachments/${recorded.id}/0`);
    assert.equal(file.headers.get("content-type"), attachment.contentType);
    assert.deepEqual(new Uint8Array(await file.arrayBuffer()), bytes);
  });
});

Deno.test("resend refuses a batch carrying an attachment with 422 validation_error and sends none of it", async () => {
  await withStack(async ({ fakes, resend }) => {
    const { error } = await resend.batch.send(
      [
        email({ to: ["owner@shop.example"] }),
        email({ attachments: [inviteAttachment().attachment] }),
      ] as unknown as Parameters<typeof resend.batch.send>[0],
    );
    assert.equal(error?.statusCode, 422);
    assert.equal(error?.name, "validation_error");
    assert.match(error?.message ?? "", /`attachments` field is not supported for batch emails/);
    assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/messages`), []);
  });
});

Deno.test("resend refuses an attachment without a filename, without content or path, or with content that is not base64", async (t) => {
  await withStack(async ({ fakes, resend }) => {
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ["no filename", { content: "aGk=" }, "missing_required_field", /attachments\[0\]\.filename/],
      ["neither content nor path", { filename: "a.txt" }, "validation_error", /`content`.*`path`/],
      [
        "content not base64",
        { filename: "a.txt", content: "hi there!" },
        "validation_error",
        /base64/,
      ],
    ];
    for (const [name, attachment, errorName, message] of cases) {
      await t.step(name, async () => {
        const { error } = await resend.emails.send(
          email({ attachments: [attachment] }) as Parameters<typeof resend.emails.send>[0],
        );
        assert.equal(error?.statusCode, 422);
        assert.equal(error?.name, errorName);
        assert.match(error?.message ?? "", message);
      });
    }
    await t.step("a path is recorded without content, its type from the file name", async () => {
      await resend.emails.send(
        email({ attachments: [{ filename: "invoice.pdf", path: "https://shop.example/i.pdf" }] }),
      );
      const [recorded] = await getJson<FakeEmail[]>(`${fakes.resendUrl}/__fake/messages`);
      assert.deepEqual(recorded.attachments, [{
        filename: "invoice.pdf",
        content_type: "application/pdf",
        content: "",
        size: null,
        path: "https://shop.example/i.pdf",
      }]);
    });
  });
});

Deno.test("the email sender sends an email with an invite alone through POST /emails and batches the others", async () => {
  await withStack(async ({ fakes, resend }) => {
    const limiter = {
      take: () => Promise.resolve(() => Promise.resolve()),
      pauseFor: () => Promise.resolve(),
      learn: () => Promise.resolve(),
    } as unknown as RateLimiter;
    const sender = createEmailSender({ resend, from: "Leadwire <leads@shop.example>", limiter });
    const { attachment } = inviteAttachment();
    const answers: Answer[] = [];
    const deliveries = ["a", "invited", "b"].map((key, i) => ({
      row: makeOutboxRow({ id: String(i + 1), key, recipient: `${key}@example.com` }),
      payload: {
        to: `${key}@example.com`,
        subject: "Your appointment",
        html: "<p>See you then.</p>",
        text: "See you then.",
        ...(key === "invited" ? { attachments: [attachment] } : {}),
      },
    }));
    await sender.send(deliveries, {
      settle: (settled) => {
        answers.push(...settled);
        return Promise.resolve();
      },
      onTheWire: (rows) => Promise.resolve(rows),
    });
    assert.ok(answers.every((a) => a.result.ok), JSON.stringify(answers.map((a) => a.result)));
    const sent = await getJson<FakeEmail[]>(`${fakes.resendUrl}/__fake/messages`);
    const how = (e: FakeEmail) => ({
      batch: e.batch,
      key: e.idempotency_key?.startsWith("batch-") ? "batch-…" : e.idempotency_key,
      attachments: e.attachments?.map((a) => a.filename) ?? null,
    });
    assert.deepEqual(Object.fromEntries(sent.map((e) => [e.to[0], how(e)])), {
      "a@example.com": { batch: true, key: "batch-…", attachments: null },
      "b@example.com": { batch: true, key: "batch-…", attachments: null },
      "invited@example.com": { batch: false, key: "invited", attachments: ["appointment.ics"] },
    });
  });
});

Deno.test("an injected 5xx answers in each provider's error format, then the next request succeeds", async (t) => {
  await withStack(async ({ fakes, gatewayUrl, resend, twilio: client, storage }) => {
    await t.step("resend: 500 internal_server_error", async () => {
      await control(fakes.resendUrl, "faults", { path: "/emails", times: 1, status: 500 });
      const failed = await resend.emails.send(email());
      assert.equal(failed.error?.statusCode, 500);
      assert.equal(failed.error?.name, "internal_server_error");
      assert.equal((await resend.emails.send(email())).error, null);
    });
    await t.step("twilio: 503 RestException 20503", async () => {
      await control(fakes.twilioUrl, "faults", { path: "/Messages.json", times: 1, status: 503 });
      await assert.rejects(
        client.messages.create({ to: lead.phone, from: shopNumber, body: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof twilio.RestException);
          assert.equal(error.status, 503);
          assert.equal(error.code, 20503);
          return true;
        },
      );
      assert.match(
        (await client.messages.create({ to: lead.phone, from: shopNumber, body: "hi" })).sid,
        /^SM/,
      );
    });
    await t.step("storage: 500 StorageApiError", async () => {
      await control(`${gatewayUrl}/storage/v1`, "faults", { times: 1, status: 500 });
      const failed = await storage.from("lead-photos").upload("42/a.txt", new Blob(["a"]));
      assert.equal(failed.error?.name, "StorageApiError");
      assert.equal((failed.error as unknown as { status: number }).status, 500);
      assert.equal(
        (await storage.from("lead-photos").upload("42/a.txt", new Blob(["a"]))).error,
        null,
      );
    });
    await t.step("a 429 fault carries retry-after", async () => {
      await control(fakes.resendUrl, "faults", { times: 1, status: 429 });
      const limited = await resend.emails.send(email());
      assert.equal(limited.error?.name, "rate_limit_exceeded");
      assert.equal(limited.headers?.["retry-after"], "1");
    });
  });
});

Deno.test("an injected drop surfaces as a network error in each SDK and sends nothing", async (t) => {
  await withStack(async ({ fakes, gatewayUrl, resend, twilio: client, storage }) => {
    await t.step("resend returns application_error with no status", async () => {
      await control(fakes.resendUrl, "faults", { path: "/emails", times: 1, drop: true });
      const { data, error } = await resend.emails.send(email());
      assert.equal(data, null);
      assert.equal(error?.name, "application_error");
      assert.equal(error?.statusCode, null);
    });
    await t.step("twilio rejects with a transport error, not a RestException", async () => {
      await control(fakes.twilioUrl, "faults", { times: 1, drop: true });
      await assert.rejects(
        client.messages.create({ to: lead.phone, from: shopNumber, body: "hi" }),
        (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.ok(!(error instanceof twilio.RestException), `got a RestException: ${error}`);
          return true;
        },
      );
    });
    await t.step("storage returns a StorageUnknownError", async () => {
      await control(`${gatewayUrl}/storage/v1`, "faults", { times: 1, drop: true });
      const { error } = await storage.from("lead-photos").upload("42/b.txt", new Blob(["b"]));
      assert.equal(error?.name, "StorageUnknownError");
    });
    await t.step("the drops are recorded as such, and nothing was accepted", async () => {
      const requests = await getJson<RecordedRequest[]>(`${fakes.resendUrl}/__fake/requests`);
      assert.deepEqual(requests.map((r) => [r.dropped, r.fault, r.response.status]), [[
        true,
        true,
        null,
      ]]);
      assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/messages`), []);
      assert.deepEqual(await getJson(`${fakes.twilioUrl}/__fake/messages`), []);
      assert.deepEqual(await getJson(`${gatewayUrl}/storage/v1/__fake/messages`), []);
    });
  });
});

Deno.test("faults are consumed oldest first and only by requests whose path matches", async () => {
  await withStack(async ({ fakes, resend }) => {
    await control(fakes.resendUrl, "faults", { path: "/emails/batch", times: 1, status: 503 });
    await control(fakes.resendUrl, "faults", { path: "/emails", times: 2, status: 500 });
    assert.equal(
      (await resend.emails.send(email())).error?.statusCode,
      500,
      "the batch rule does not match /emails",
    );
    assert.equal((await resend.batch.send([email()])).error?.statusCode, 503);
    assert.equal((await resend.batch.send([email()])).error?.statusCode, 500);
    assert.equal((await resend.emails.send(email())).error, null);
    assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/faults`), []);
  });
});

Deno.test("latency delays every answer and reset removes it with everything else", async () => {
  await withStack(async ({ fakes, resend }) => {
    await control(fakes.resendUrl, "latency", { ms: 150 });
    const started = performance.now();
    await resend.emails.send(email());
    assert.ok(performance.now() - started >= 150, "the answer came before the latency");

    await control(fakes.resendUrl, "faults", { times: 5, status: 500 });
    await control(fakes.resendUrl, "reset");
    assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/requests`), []);
    assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/messages`), []);
    assert.deepEqual(await getJson(`${fakes.resendUrl}/__fake/faults`), []);
    const again = performance.now();
    assert.equal((await resend.emails.send(email())).error, null);
    assert.ok(performance.now() - again < 150, "latency survived the reset");
  });
});

Deno.test("a bad control request is refused with 400 and a reason", async () => {
  await withStack(async ({ fakes }) => {
    const res = await fetch(`${fakes.twilioUrl}/__fake/faults`, {
      method: "POST",
      body: JSON.stringify({ times: 0 }),
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /Cannot set a fault/);
  });
});

Deno.test("supabase-js upload, createSignedUrl and a fetch of the signed URL return the bytes; a tampered token is refused", async (t) => {
  await withStack(async ({ gatewayUrl, storage, advanceClock }) => {
    const photo = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const bucket = storage.from("lead-photos");
    const uploaded = await bucket.upload(
      "42/front bumper.png",
      new Blob([photo], { type: "image/png" }),
    );
    assert.equal(uploaded.error, null);
    assert.equal(uploaded.data?.fullPath, "lead-photos/42/front bumper.png");

    const signed = await bucket.createSignedUrl("42/front bumper.png", 60);
    assert.equal(signed.error, null);
    const signedUrl = signed.data!.signedUrl;
    assert.ok(
      signedUrl.startsWith(
        `${gatewayUrl}/storage/v1/object/sign/lead-photos/42/front%20bumper.png?token=`,
      ),
    );

    await t.step("the signed URL serves the bytes without any key", async () => {
      const res = await fetch(signedUrl);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), photo);
    });
    await t.step("a tampered token is refused as InvalidJWT", async () => {
      const url = new URL(signedUrl);
      const token = url.searchParams.get("token")!;
      const last = token.at(-2) === "A" ? "B" : "A";
      url.searchParams.set("token", `${token.slice(0, -2)}${last}${token.at(-1)}`);
      const res = await fetch(url);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        statusCode: "400",
        code: "InvalidJWT",
        error: "InvalidJWT",
        message: "invalid signature",
      });
    });
    await t.step("a token for another object is refused", async () => {
      await bucket.upload("42/other.png", new Blob([photo], { type: "image/png" }));
      const res = await fetch(signedUrl.replace("front%20bumper.png", "other.png"));
      assert.equal(res.status, 400);
      assert.equal((await res.json()).code, "InvalidSignature");
    });
    await t.step("createSignedUrls signs many and reports the missing", async () => {
      const { data, error } = await bucket.createSignedUrls([
        "42/front bumper.png",
        "42/missing.png",
      ], 60);
      assert.equal(error, null);
      assert.ok(data![0].signedUrl?.includes("token="));
      assert.equal(data![0].error, null);
      assert.equal(data![1].signedUrl, null);
      assert.match(data![1].error ?? "", /does not exist/);
    });
    await t.step("download with the service-role key returns the bytes", async () => {
      const { data, error } = await bucket.download("42/front bumper.png");
      assert.equal(error, null);
      assert.deepEqual(new Uint8Array(await data!.arrayBuffer()), photo);
    });
    await t.step("without the service-role key nothing is served", async () => {
      const res = await fetch(`${gatewayUrl}/storage/v1/object/lead-photos/42/other.png`);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).statusCode, "403");
      const wrong = createStorageClient({ supabaseUrl: gatewayUrl, serviceRoleKey: "not-the-key" });
      const { error } = await wrong.from("lead-photos").download("42/other.png");
      assert.equal(error?.name, "StorageApiError");
    });
    await t.step("an upload to a taken path without upsert is a Duplicate", async () => {
      const { error } = await bucket.upload("42/front bumper.png", new Blob([photo]));
      assert.equal((error as unknown as { statusCode: string }).statusCode, "409");
    });
    await t.step("an expired signed URL is refused", async () => {
      advanceClock(61_000);
      const res = await fetch(signedUrl);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).message, "jwt expired");
    });
  });
});

Deno.test("the inbox lists emails, SMS and uploads newest first, as a page and as JSON", async () => {
  await withStack(async ({ fakes, resend, twilio: client, storage, advanceClock }) => {
    await resend.emails.send(email({ subject: "First <email>" }));
    advanceClock(1000);
    await resend.emails.send(email({ subject: "Second email" }));
    await client.messages.create({
      to: lead.phone,
      from: shopNumber,
      body: "Your tech is on the way",
    });
    await storage.from("lead-photos").upload(
      "42/dent.png",
      new Blob([new Uint8Array([1, 2])], { type: "image/png" }),
    );

    const api = await getJson<{ emails: FakeEmail[]; sms: FakeSms[]; uploads: FakeUpload[] }>(
      `${fakes.inboxUrl}/api`,
    );
    assert.deepEqual(api.emails.map((e) => e.subject), ["Second email", "First <email>"]);
    assert.deepEqual(api.sms.map((s) => s.body), ["Your tech is on the way"]);
    assert.deepEqual(api.uploads.map((u) => `${u.bucket}/${u.path}`), ["lead-photos/42/dent.png"]);

    const page = await (await fetch(fakes.inboxUrl)).text();
    assert.ok(page.includes("First &lt;email&gt;"), "the subject is escaped");
    assert.ok(page.includes("srcdoc="), "the email html is rendered in a sandboxed frame");
    assert.ok(page.includes("Your tech is on the way"));
    assert.ok(page.includes("/uploads/lead-photos/42/dent.png"));
    const image = await fetch(`${fakes.inboxUrl}/uploads/lead-photos/42/dent.png`);
    assert.deepEqual(new Uint8Array(await image.arrayBuffer()), new Uint8Array([1, 2]));
  });
});

Deno.test("the fakes log one line per request with phones and emails masked and no secrets", async () => {
  await withStack(async ({ logs, resend, twilio: client }) => {
    await client.messages.create({ to: lead.phone, from: shopNumber, body: "hi" });
    await resend.emails.send(email());
    const text = logs.join("\n");
    assert.equal(logs.length, 2);
    assert.match(text, /\+1720\*\*\*7465/);
    assert.match(text, /j\*\*\*@example\.com/);
    for (const secret of [lead.phone, lead.email, authToken, resendApiKey]) {
      assert.ok(!text.includes(secret), `log leaked ${secret}`);
    }
  });
});

Deno.test("the webhook receiver records a CRM delivery with its raw body, bearer token and signature headers exactly as sent", async (t) => {
  await withStack(async ({ fakes, logs }) => {
    // Spacing, 1.50 and a non-ASCII name: a re-serialised body would not match the signature.
    const body =
      '{"event":"lead.created",  "lead":{"name":"Zoë Doe","phone":"+17205557465"},"total":1.50}';
    const id = "msg_2Lp0Ylk8UaQd3fOSCEuAnmrUY9d";
    const timestamp = String(Math.floor(Date.now() / 1000));
    const sent = {
      authorization: `Bearer ${crmToken}`,
      "webhook-id": id,
      "webhook-timestamp": timestamp,
      "webhook-signature": standardWebhookSignature(id, timestamp, body),
    };
    const res = await postWebhook(`${fakes.webhookUrl}/crm`, body, sent);
    assert.equal(res.status, 200);
    const answer = await res.json();
    const [delivery, ...others] = await getJson<FakeWebhook[]>(
      `${fakes.webhookUrl}/__fake/messages`,
    );

    await t.step("the answer names the recorded delivery", () => {
      assert.deepEqual(others, []);
      assert.deepEqual(answer, { received: true, id: delivery.id });
    });
    await t.step("the delivery keeps the body and the headers as sent", () => {
      assert.deepEqual(delivery, {
        id: delivery.id,
        at: delivery.at,
        path: "/crm",
        content_type: "application/json",
        headers: sent,
        raw_body: body,
        json: JSON.parse(body),
      });
      assert.ok(!Number.isNaN(Date.parse(delivery.at)), `at is not a date: ${delivery.at}`);
    });
    await t.step("the recorded headers and raw body verify the signature", () => {
      const { "webhook-id": gotId, "webhook-timestamp": gotTimestamp } = delivery.headers;
      assert.equal(
        standardWebhookSignature(gotId!, gotTimestamp!, delivery.raw_body),
        delivery.headers["webhook-signature"],
      );
    });
    await t.step("an unsigned delivery keeps only the headers it carried", async () => {
      const plain = await postWebhook(`${fakes.webhookUrl}/crm`, "{}", {
        authorization: `Bearer ${crmToken}`,
      });
      assert.equal(plain.status, 200);
      await plain.body?.cancel();
      const deliveries = await getJson<FakeWebhook[]>(`${fakes.webhookUrl}/__fake/messages`);
      assert.deepEqual(deliveries[1].headers, { authorization: `Bearer ${crmToken}` });
    });
    await t.step(
      "the request log redacts the token, and the log lines do not carry it",
      async () => {
        const [request] = await getJson<RecordedRequest[]>(`${fakes.webhookUrl}/__fake/requests`);
        assert.equal(request.headers.authorization, "[redacted]");
        assert.match(logs[0], /^\[fake webhooks\] POST \/crm → 200 \d+ms webhook-id=msg_2Lp0/);
        assert.ok(!logs.join("\n").includes(crmToken), "a log line leaked the bearer token");
      },
    );
  });
});

Deno.test("the webhook receiver answers a Slack post with ok, and a payload without a text with 400 invalid_payload", async (t) => {
  await withStack(async ({ fakes }) => {
    const slackUrl = `${fakes.webhookUrl}/slack/T0001/B0001/abcdef`;
    await t.step('{"text"} is answered 200 text/plain "ok"', async () => {
      const res = await postWebhook(
        slackUrl,
        JSON.stringify({ text: "New lead: Jane, windshield" }),
      );
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      assert.equal(await res.text(), "ok");
    });
    const refused = [
      ["no text", '{"blocks":[]}'],
      ["an empty text", '{"text":""}'],
      ["a text that is not a string", '{"text":42}'],
      ["a body that is not JSON", "text=hi"],
    ];
    for (const [what, body] of refused) {
      await t.step(`${what} is answered 400 "invalid_payload"`, async () => {
        const res = await postWebhook(slackUrl, body);
        assert.equal(res.status, 400);
        assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
        assert.equal(await res.text(), "invalid_payload");
      });
    }
    await t.step("only the good post is a delivery", async () => {
      const deliveries = await getJson<FakeWebhook[]>(`${fakes.webhookUrl}/__fake/messages`);
      assert.deepEqual(deliveries.map((d) => [d.path, d.json]), [
        ["/slack/T0001/B0001/abcdef", { text: "New lead: Jane, windshield" }],
      ]);
    });
  });
});

Deno.test("the webhook receiver refuses a CRM body that is not JSON with 400 and a GET with 405, recording no delivery", async () => {
  await withStack(async ({ fakes }) => {
    const notJson = await postWebhook(`${fakes.webhookUrl}/crm`, "{not json", {
      authorization: `Bearer ${crmToken}`,
    });
    assert.equal(notJson.status, 400);
    assert.deepEqual(await notJson.json(), { error: "The request body is not valid JSON" });

    const get = await fetch(`${fakes.webhookUrl}/crm`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    await get.body?.cancel();

    assert.deepEqual(await getJson(`${fakes.webhookUrl}/__fake/messages`), []);
    const requests = await getJson<RecordedRequest[]>(`${fakes.webhookUrl}/__fake/requests`);
    assert.deepEqual(requests.map((r) => [r.method, r.response.status]), [["POST", 400], [
      "GET",
      405,
    ]]);
  });
});

Deno.test("a webhook fault answers 500, then 429 with retry-after, as many times as asked, then the receiver accepts again", async (t) => {
  await withStack(async ({ fakes }) => {
    const url = fakes.webhookUrl;
    const send = (n: number) =>
      postWebhook(`${url}/crm`, JSON.stringify({ n }), { authorization: `Bearer ${crmToken}` });
    await control(url, "faults", { path: "/crm", times: 2, status: 500 });
    await control(url, "faults", { path: "/crm", times: 1, status: 429 });

    await t.step("500 twice, as a JSON error", async () => {
      for (const n of [1, 2]) {
        const res = await send(n);
        assert.equal(res.status, 500);
        assert.deepEqual(await res.json(), { error: "Internal Server Error" });
      }
    });
    await t.step("then 429 with retry-after", async () => {
      const res = await send(3);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.deepEqual(await res.json(), { error: "Too Many Requests" });
    });
    await t.step("then the receiver accepts again, and no fault is left", async () => {
      const res = await send(4);
      assert.equal(res.status, 200);
      assert.equal((await res.json()).received, true);
      assert.deepEqual(await getJson(`${url}/__fake/faults`), []);
    });
    await t.step("on a Slack path the fault is in Slack's plain-text format", async () => {
      await control(url, "faults", { path: "/slack", times: 1, status: 429 });
      const res = await postWebhook(`${url}/slack`, JSON.stringify({ text: "hi" }));
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "1");
      assert.equal(await res.text(), "rate_limited");
    });
    await t.step("a delay fault waits, then the delivery is accepted", async () => {
      await control(url, "faults", { times: 1, delayMs: 150 });
      const started = performance.now();
      const res = await send(5);
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.ok(performance.now() - started >= 150, "the answer came before the delay");
    });
    await t.step("a drop fault closes the connection unanswered", async () => {
      await control(url, "faults", { times: 1, drop: true });
      await assert.rejects(send(6), TypeError);
      const res = await send(7);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
    await t.step("only accepted deliveries are listed; every request is recorded", async () => {
      const deliveries = await getJson<FakeWebhook[]>(`${url}/__fake/messages`);
      assert.deepEqual(deliveries.map((d) => d.json), [{ n: 4 }, { n: 5 }, { n: 7 }]);
      const requests = await getJson<RecordedRequest[]>(`${url}/__fake/requests`);
      assert.deepEqual(requests.map((r) => [r.path, r.response.status, r.fault]), [
        ["/crm", 500, true],
        ["/crm", 500, true],
        ["/crm", 429, true],
        ["/crm", 200, false],
        ["/slack", 429, true],
        ["/crm", 200, false],
        ["/crm", null, true],
        ["/crm", 200, false],
      ]);
    });
  });
});

Deno.test("a webhook reset forgets deliveries, requests, faults and latency", async () => {
  await withStack(async ({ fakes }) => {
    const url = fakes.webhookUrl;
    const accepted = await postWebhook(`${url}/crm`, '{"n":1}');
    await accepted.body?.cancel();
    await control(url, "faults", { times: 5, status: 500 });
    await control(url, "latency", { ms: 150 });
    await control(url, "reset");

    assert.deepEqual(await getJson(`${url}/__fake/messages`), []);
    assert.deepEqual(await getJson(`${url}/__fake/requests`), []);
    assert.deepEqual(await getJson(`${url}/__fake/faults`), []);
    const started = performance.now();
    const res = await postWebhook(`${url}/crm`, '{"n":2}');
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.ok(performance.now() - started < 150, "latency survived the reset");
  });
});

Deno.test("the inbox lists webhook deliveries newest first, with the bearer token masked on the page", async () => {
  await withStack(async ({ fakes, advanceClock }) => {
    const body = '{"lead":"Jane"}';
    const first = await postWebhook(`${fakes.webhookUrl}/crm`, body, {
      authorization: `Bearer ${crmToken}`,
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": standardWebhookSignature("msg_1", "1700000000", body),
    });
    await first.body?.cancel();
    advanceClock(1000);
    const second = await postWebhook(
      `${fakes.webhookUrl}/slack`,
      JSON.stringify({ text: "<b>New lead</b>" }),
    );
    await second.body?.cancel();

    const api = await getJson<{ webhooks: FakeWebhook[] }>(`${fakes.inboxUrl}/api`);
    assert.deepEqual(api.webhooks.map((w) => w.path), ["/slack", "/crm"]);
    assert.equal(api.webhooks[1].headers.authorization, `Bearer ${crmToken}`);

    const page = await (await fetch(fakes.inboxUrl)).text();
    assert.ok(page.includes("POST /crm") && page.includes("POST /slack"));
    assert.ok(page.includes("signed · webhook-id <code>msg_1</code>"));
    assert.ok(page.includes("authorization <code>Bearer loc…</code>"), "the token is masked");
    assert.ok(!page.includes(crmToken), "the page shows the whole bearer token");
    assert.ok(page.includes("unsigned · no authorization"));
    assert.ok(
      page.includes("{\n  &quot;text&quot;: &quot;&lt;b&gt;New lead&lt;/b&gt;&quot;\n}"),
      "the JSON body is pretty-printed and escaped",
    );
  });
});
