/** SMS through Twilio's Messages API, with a status callback so delivery is reported back. */
import type { Twilio } from "twilio";
import type { SendFailure } from "./retry_policy.ts";
import type { SendResult } from "./send_email.ts";

export interface OutgoingSms {
  to: string;
  from: string;
  body: string;
  statusCallback?: string;
}

interface TwilioLikeError {
  status?: number;
  code?: number;
  message?: string;
}

function toFailure(err: unknown): SendFailure {
  const e = err as TwilioLikeError;
  const answered = typeof e?.status === "number" && e.status > 0;
  return {
    status: answered ? e.status : undefined,
    code: typeof e?.code === "number" ? e.code : undefined,
    message: e?.message ?? String(err),
    network: !answered,
  };
}

export async function sendSms(twilio: Twilio, sms: OutgoingSms): Promise<SendResult> {
  try {
    const message = await twilio.messages.create({
      to: sms.to,
      from: sms.from,
      body: sms.body,
      ...(sms.statusCallback ? { statusCallback: sms.statusCallback } : {}),
    });
    return { ok: true, providerMessageId: message.sid };
  } catch (err) {
    return { ok: false, failure: toFailure(err) };
  }
}
