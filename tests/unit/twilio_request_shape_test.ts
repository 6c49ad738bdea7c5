import assert from "node:assert/strict";
import { twilioRequestShape } from "../../shared/twilio_inbound/request_shape.ts";

const SID = "SM0123456789abcdef0123456789abcdef";
const ACCOUNT = "AC0123456789abcdef0123456789abcdef";
const text = {
  MessageSid: SID,
  SmsSid: SID,
  AccountSid: ACCOUNT,
  From: "+17205551234",
  To: "+17205550100",
  Body: "Hi",
  NumMedia: "0",
  NumSegments: "1",
  SmsStatus: "received",
  ApiVersion: "2010-04-01",
};
const report = {
  MessageSid: SID,
  AccountSid: ACCOUNT,
  MessageStatus: "delivered",
  SmsStatus: "delivered",
  From: "+17205550100",
  To: "+17205551234",
};

Deno.test("twilioRequestShape() takes only a whole text or a whole delivery report", async (t) => {
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ["a customer's text", text, "message"],
    ["an MMS with its media", {
      ...text,
      MessageSid: `MM${SID.slice(2)}`,
      NumMedia: "1",
      MediaUrl0: "https://api.twilio.com/m",
    }, "message"],
    ["an empty text", { ...text, Body: "" }, "message"],
    ["a delivery report", report, "status"],
    ["a delivery report without numbers", { ...report, From: undefined, To: undefined }, "status"],
    ["a re-cut signature: NumMedia moved into the MessageSid", {
      ...text,
      NumMedia: undefined,
      MessageSid: `${SID}NumMedia0`,
    }, "invalid MessageSid"],
    ["no NumMedia", { ...text, NumMedia: undefined }, "invalid NumMedia"],
    ["NumMedia not a count", { ...text, NumMedia: "0x" }, "invalid NumMedia"],
    ["a media count with no media", { ...text, NumMedia: "1" }, "invalid MediaUrl0"],
    ["no Body", { ...text, Body: undefined }, "invalid Body"],
    ["no From", { ...text, From: undefined }, "invalid From"],
    ["a From that is not a number", { ...text, From: "+17205551234ToCountryUS" }, "invalid From"],
    ["an upper-case MessageSid", { ...text, MessageSid: SID.toUpperCase() }, "invalid MessageSid"],
    ["a short MessageSid", { ...text, MessageSid: "SM123" }, "invalid MessageSid"],
    ["no AccountSid", { ...text, AccountSid: undefined }, "invalid AccountSid"],
    ["an unknown status", { ...report, MessageStatus: "exploded" }, "invalid MessageStatus"],
  ];
  for (const [name, params, expected] of cases) {
    await t.step(name, () => {
      const defined = Object.fromEntries(
        Object.entries(params).filter(([, v]) => v !== undefined),
      ) as Record<string, string>;
      const shape = twilioRequestShape(defined);
      assert.equal(shape.kind === "invalid" ? `invalid ${shape.reason}` : shape.kind, expected);
    });
  }
});
