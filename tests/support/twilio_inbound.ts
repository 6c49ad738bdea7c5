/**
 * Posting to twilio-inbound as Twilio does: form-encoded, signed with the auth token over the
 * public URL and every parameter (the algorithm Twilio documents, via the twilio SDK's own
 * signer), and reading what the database then holds about a phone.
 */
import type postgres from "postgres";
import twilio from "twilio";
import { FAKE_TWILIO_ACCOUNT_SID, FAKE_TWILIO_AUTH_TOKEN } from "../../supabase/local/local_env.ts";
import { stack } from "./stack.ts";

export const TWILIO_INBOUND_URL = `${stack.functionsUrl}/twilio-inbound`;
export const SHOP_NUMBER = "+17205550100";

/** A Twilio message SID nobody has used. */
export function newMessageSid(): string {
  return `SM${crypto.randomUUID().replaceAll("-", "")}`;
}

/** What Twilio posts when a customer texts the shop. */
export function inboundParams(
  from: string | null,
  body: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  if (from === null) {
    throw new Error("inboundParams() needs a phone to text from");
  }
  const sid = newMessageSid();
  return {
    ToCountry: "US",
    ToState: "CO",
    SmsMessageSid: sid,
    NumMedia: "0",
    ToCity: "DENVER",
    FromZip: "80202",
    SmsSid: sid,
    FromState: "CO",
    SmsStatus: "received",
    FromCity: "DENVER",
    Body: body,
    FromCountry: "US",
    To: SHOP_NUMBER,
    ToZip: "80202",
    NumSegments: "1",
    MessageSid: sid,
    AccountSid: FAKE_TWILIO_ACCOUNT_SID,
    From: from,
    ApiVersion: "2010-04-01",
    ...extra,
  };
}

/** What Twilio posts when a text we sent changes status. */
export function statusParams(
  messageSid: string,
  status: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: FAKE_TWILIO_ACCOUNT_SID,
    ApiVersion: "2010-04-01",
    From: SHOP_NUMBER,
    MessageSid: messageSid,
    MessageStatus: status,
    SmsSid: messageSid,
    SmsStatus: status,
    To: "+17205551234",
    ...extra,
  };
}

/** Options for {@linkcode postAsTwilio}. */
export interface PostOptions {
  /** "valid" (default), "missing", "forged" (another token), or signed over `signedUrl`. */
  signature?: "valid" | "missing" | "forged";
  /** The URL the signature is computed over. Default: the one posted to. */
  signedUrl?: string;
  /** Default: twilio-inbound's public URL. */
  url?: string;
  /** The parameters the signature is computed over. Default: the ones posted. */
  signedParams?: Record<string, string>;
  /** The auth token a valid signature is made with. Default: the fake account's. */
  token?: string;
}

/** Posts a form to twilio-inbound as Twilio would. */
export async function postAsTwilio(
  params: Record<string, string>,
  opts: PostOptions = {},
): Promise<{ status: number; body: string }> {
  const url = opts.url ?? TWILIO_INBOUND_URL;
  const token = opts.signature === "forged"
    ? "not-the-auth-token-0000"
    : opts.token ?? FAKE_TWILIO_AUTH_TOKEN;
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    "user-agent": "TwilioProxy/1.1",
  };
  if (opts.signature !== "missing") {
    headers["x-twilio-signature"] = twilio.getExpectedTwilioSignature(
      token,
      opts.signedUrl ?? url,
      opts.signedParams ?? params,
    );
  }
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: new URLSearchParams(params),
  });
  return { status: res.status, body: await res.text() };
}

/** The `<Message>` texts of a TwiML answer. */
export function twimlMessages(twiml: string): string[] {
  return [...twiml.matchAll(/<Message>([\s\S]*?)<\/Message>/g)].map((m) =>
    m[1].replaceAll("&apos;", "'").replaceAll("&quot;", '"').replaceAll(
      "&lt;",
      "<",
    )
      .replaceAll("&gt;", ">").replaceAll("&amp;", "&")
  );
}

/** What the database holds about a phone: its consent ledger, its waiting texts, its activities. */
export async function phoneRecord(sql: postgres.Sql, phone: string | null) {
  if (phone === null) throw new Error("phoneRecord() needs a phone");
  const [consent, activities, inbound] = await Promise.all([
    sql`select event, source, detail, lead_id from public.sms_consent_events
        where phone_e164 = ${phone} order by id`,
    // Without the providers' delivery reports: they arrive on their own schedule, whatever
    // the phone's owner does.
    sql`select a.lead_id, a.activity_type, a.metadata from public.lead_activities a
        where (a.lead_id in (select id from public.leads where phone_e164 = ${phone})
           or a.metadata ->> 'message_sid' in
              (select message_sid from public.sms_inbound_messages where from_phone = ${phone}))
          and a.activity_type not in ('email_delivered', 'email_opened', 'email_bounced',
                                      'email_complained', 'sms_delivered', 'sms_failed')
        order by a.id`,
    sql`select message_sid, intent, lead_id from public.sms_inbound_messages
        where from_phone = ${phone} order by id`,
  ]);
  return { consent, activities, inbound };
}
