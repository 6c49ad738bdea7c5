/**
 * What a signed post must look like to be Twilio's (pure). Twilio's signature joins the sorted
 * names and values with no separator, so a captured post can be re-cut and still verify: drop
 * `NumMedia=0` and append `NumMedia0` to the MessageSid before it, and the signed string is the
 * same. Every field Twilio always sends is therefore required, each in its exact form, and a
 * post that is neither a whole incoming message nor a whole status callback is refused before
 * anything is recorded.
 */

export type TwilioRequest =
  | { kind: "message" }
  | { kind: "status" }
  | { kind: "invalid"; reason: string };

const MESSAGE_SID = /^(SM|MM)[0-9a-f]{32}$/;
const ACCOUNT_SID = /^AC[0-9a-f]{32}$/;
const COUNT = /^(0|[1-9][0-9]?)$/;
// Numbers as Twilio writes them: E.164, or a short code; a channel address ("whatsapp:+1…").
const ADDRESS = /^(\+[1-9][0-9]{6,14}|[0-9]{3,8}|[a-z]+:\+?[0-9A-Za-z@._-]{3,64})$/;
const STATUSES = new Set([
  "accepted",
  "scheduled",
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "read",
  "canceled",
  "receiving",
]);

/** Which post this is: a customer's text, a delivery report, or neither (why). */
export function twilioRequestShape(params: Record<string, string>): TwilioRequest {
  const invalid = (reason: string): TwilioRequest => ({ kind: "invalid", reason });
  if (!MESSAGE_SID.test(params.MessageSid ?? "")) return invalid("MessageSid");
  if (!ACCOUNT_SID.test(params.AccountSid ?? "")) return invalid("AccountSid");
  const status = params.MessageStatus;
  const isStatus = status !== undefined && status !== "received" && params.SmsStatus !== "received";
  // A delivery report names the number only as a courtesy; a customer's text always does.
  for (const name of ["From", "To"]) {
    const value = params[name];
    if ((value !== undefined || !isStatus) && !ADDRESS.test(value ?? "")) return invalid(name);
  }
  if (isStatus) return STATUSES.has(status) ? { kind: "status" } : invalid("MessageStatus");
  if (params.Body === undefined) return invalid("Body");
  if (!COUNT.test(params.NumMedia ?? "")) return invalid("NumMedia");
  if (params.NumSegments !== undefined && !COUNT.test(params.NumSegments)) {
    return invalid("NumSegments");
  }
  for (let i = 0; i < Number(params.NumMedia); i++) {
    if (!params[`MediaUrl${i}`]) return invalid(`MediaUrl${i}`);
  }
  return { kind: "message" };
}
