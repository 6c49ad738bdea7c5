/** Drives the stack's fake providers and switches (see README "The fakes"). */
import type {
  FakeConversation,
  FakeEmail,
  FakeSendGridEmail,
  FakeSms,
  FakeVerification,
  FakeWebhook,
  FaultRule,
  InboundRequest,
  InboundResult,
  RecordedRequest,
} from "../../supabase/local/fakes/mod.ts";
import { stack } from "./stack.ts";

async function call<T>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(
    url,
    body === undefined ? {} : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    },
  );
  if (!res.ok) {
    throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  }
  return await res.json() as T;
}

/** The control API every fake shares (README "The fakes"). */
function controls(origin: string) {
  return {
    requests: () => call<RecordedRequest[]>(`${origin}/__fake/requests`),
    fault: (rule: Partial<FaultRule> & { times: number }) => call(`${origin}/__fake/faults`, rule),
    /** Drops what is still pending of faults set as `rule` was (tests/support/shared_state.ts). */
    withdrawFault: (rule: Partial<FaultRule> & { times: number }) =>
      call(`${origin}/__fake/faults/withdraw`, rule),
    latency: (ms: number) => call(`${origin}/__fake/latency`, { ms }),
    reset: () => call(`${origin}/__fake/reset`, {}),
    /** Drops the pending faults, and nothing else. */
    clearFaults: () => call(`${origin}/__fake/clear-faults`, {}),
  };
}

export const resend = {
  emails: () => call<FakeEmail[]>(`${stack.resendUrl}/__fake/messages`),
  /** The team's limit, which every answer states (`ratelimit-limit`); reset puts back 2. */
  rateLimit: (perSecond: number) =>
    call<{ perSecond: number }>(`${stack.resendUrl}/__fake/rate-limit`, { perSecond }),
  ...controls(stack.resendUrl),
};

/** The fake SendGrid: email's second provider, used while Resend's circuit is open. */
export const sendgrid = {
  emails: () => call<FakeSendGridEmail[]>(`${stack.sendgridUrl}/__fake/messages`),
  ...controls(stack.sendgridUrl),
};

export const twilio = {
  /** Sends accepted through the REST API (not inbound texts or replies). */
  messages: () => call<FakeSms[]>(`${stack.twilioUrl}/__fake/messages`),
  /** Per customer phone, every message both ways, oldest first. */
  conversations: () => call<FakeConversation[]>(`${stack.twilioUrl}/__fake/conversations`),
  /**
   * A customer texts the shop's number: Twilio's keyword handling, then the signed webhook to
   * twilio-inbound, then the TwiML replies. Resolves with what the webhook answered.
   */
  inbound: (message: InboundRequest) =>
    call<InboundResult>(`${stack.twilioUrl}/__fake/inbound`, message),
  /** Later sends to `phone` end `undelivered` (queued, sent, undelivered) or `failed`. */
  deliveryFailure: (
    phone: string,
    status: "undelivered" | "failed",
    errorCode: number,
  ) =>
    call(`${stack.twilioUrl}/__fake/delivery-failure`, {
      phone,
      status,
      error_code: errorCode,
    }),
  /** The account's API limit: creates past it are refused 429 / 20429; null lifts it. */
  rateLimit: (perSecond: number | null) =>
    call<{ perSecond: number | null }>(`${stack.twilioUrl}/__fake/rate-limit`, { perSecond }),
  /** Later sends to `phone` are delivered again. */
  clearDeliveryFailure: (phone: string) =>
    call(`${stack.twilioUrl}/__fake/delivery-failure`, { phone, clear: true }),
  /**
   * The console's auth token rotation: `{secondary}` creates a secondary token (the REST API
   * takes both, webhooks stay signed with the primary), `{promote: true}` makes it the primary.
   */
  authTokens: (change: { secondary: string | null } | { promote: true }) =>
    call<{ primary: boolean; secondary: boolean }>(
      `${stack.twilioUrl}/__fake/auth-tokens`,
      change,
    ),
  ...controls(stack.twilioUrl),
};

/** The fake Cloudflare Turnstile: tokens a form would get, and the verifications made. */
export const turnstile = {
  token: async () =>
    (await call<{ token: string }>(`${stack.turnstileUrl}/__fake/tokens`, {})).token,
  verifications: () => call<FakeVerification[]>(`${stack.turnstileUrl}/__fake/messages`),
};

/** The fake receiver of outgoing webhooks (any path: the tests use /crm… and /slack…). */
export const webhooks = {
  deliveries: () => call<FakeWebhook[]>(`${stack.webhookUrl}/__fake/messages`),
  ...controls(stack.webhookUrl),
};

/**
 * The stack's switches: a function that is down or redeployed with other secrets, the functions
 * process killed, a pg_net that stalls.
 */
export const switches = {
  functionDown: (name: string, down: boolean) =>
    call(`${stack.apiUrl}/__stack/functions/${name}`, { down }),
  /** Sets these project secrets (string) or unsets them (null): every function starts new workers. */
  functionEnv: (name: string, env: Record<string, string | null>) =>
    call(`${stack.apiUrl}/__stack/functions/${name}`, { env }),
  /**
   * SIGKILLs the functions process (their requests and waitUntil work die; the fakes keep what
   * they accepted) and resolves once a new one answers.
   */
  killFunctions: () =>
    call<{ killed: number | null; pid: number }>(
      `${stack.apiUrl}/__stack/functions-runtime/kill`,
      {},
    ),
  pgNetPaused: (paused: boolean) => call(`${stack.apiUrl}/__stack/pg_net`, { paused }),
  /**
   * Brings a function's live workers to the edge runtime's hard CPU limit now: each is killed
   * as one that burned its 2 s is (no event; its requests answered 546).
   */
  exhaustFunction: (name: string) =>
    call<{ workers: number }>(
      `${stack.apiUrl}/__stack/functions-runtime/exhaust/${name}`,
      {},
    ),
  /** What the edge runtime did so far, per function (workers started, retired, killed…). */
  runtimeStats: async () => {
    const res = await fetch(`${stack.apiUrl}/__stack/functions-runtime/stats`);
    return (await res.json()) as {
      functions: Record<string, Record<string, number>>;
    };
  },
};

/** Emails the fake Resend accepted for one recipient. */
export async function emailsTo(address: string | null) {
  return (await resend.emails()).filter((e) =>
    address !== null &&
    (e.to.includes(address) || (e.cc ?? []).includes(address))
  );
}

/** SMS the fake Twilio accepted for one phone. */
export async function smsTo(phone: string | null) {
  return (await twilio.messages()).filter((m) => m.to === phone);
}
