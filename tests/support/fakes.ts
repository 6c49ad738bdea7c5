/** Drives the stack's fake providers and switches (see README "The fakes"). */
import type {
  FakeEmail,
  FakeSms,
  FakeWebhook,
  FaultRule,
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
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return await res.json() as T;
}

export const resend = {
  emails: () => call<FakeEmail[]>(`${stack.resendUrl}/__fake/messages`),
  requests: () => call<RecordedRequest[]>(`${stack.resendUrl}/__fake/requests`),
  fault: (rule: Partial<FaultRule> & { times: number }) =>
    call(`${stack.resendUrl}/__fake/faults`, rule),
  latency: (ms: number) => call(`${stack.resendUrl}/__fake/latency`, { ms }),
  reset: () => call(`${stack.resendUrl}/__fake/reset`, {}),
};

export const twilio = {
  messages: () => call<FakeSms[]>(`${stack.twilioUrl}/__fake/messages`),
  requests: () => call<RecordedRequest[]>(`${stack.twilioUrl}/__fake/requests`),
  fault: (rule: Partial<FaultRule> & { times: number }) =>
    call(`${stack.twilioUrl}/__fake/faults`, rule),
  latency: (ms: number) => call(`${stack.twilioUrl}/__fake/latency`, { ms }),
  reset: () => call(`${stack.twilioUrl}/__fake/reset`, {}),
};

/** The fake receiver of outgoing webhooks (CRM at `/crm`, Slack at `/slack`). */
export const webhooks = {
  deliveries: () => call<FakeWebhook[]>(`${stack.webhookUrl}/__fake/messages`),
  requests: () => call<RecordedRequest[]>(`${stack.webhookUrl}/__fake/requests`),
  fault: (rule: Partial<FaultRule> & { times: number }) =>
    call(`${stack.webhookUrl}/__fake/faults`, rule),
  latency: (ms: number) => call(`${stack.webhookUrl}/__fake/latency`, { ms }),
  reset: () => call(`${stack.webhookUrl}/__fake/reset`, {}),
};

/** The stack's switches: a function that is down or redeployed with other secrets, a pg_net that stalls. */
export const switches = {
  functionDown: (name: string, down: boolean) =>
    call(`${stack.apiUrl}/__stack/functions/${name}`, { down }),
  /** Redeploys a function with these secrets set (string) or unset (null). */
  functionEnv: (name: string, env: Record<string, string | null>) =>
    call(`${stack.apiUrl}/__stack/functions/${name}`, { env }),
  pgNetPaused: (paused: boolean) => call(`${stack.apiUrl}/__stack/pg_net`, { paused }),
};

/** Emails the fake Resend accepted for one recipient. */
export async function emailsTo(address: string | null) {
  return (await resend.emails()).filter((e) => address !== null && e.to.includes(address));
}

/** SMS the fake Twilio accepted for one phone. */
export async function smsTo(phone: string | null) {
  return (await twilio.messages()).filter((m) => m.to === phone);
}
