import assert from "node:assert/strict";
import { classifyInboundSms, type InboundIntent } from "../../shared/compliance/sms_keywords.ts";

const cases: [string, InboundIntent][] = [
  // Each opt-out keyword, in mixed case, with space, punctuation and emoji around it.
  ["STOP", "opt_out"],
  ["  stop  ", "opt_out"],
  ["Stop!", "opt_out"],
  ["stop 🛑", "opt_out"],
  ["StopAll", "opt_out"],
  ["UNSUBSCRIBE.", "opt_out"],
  ["Cancel", "opt_out"],
  ["end", "opt_out"],
  ["QUIT!!!", "opt_out"],
  ["Revoke", "opt_out"],
  ["OPTOUT", "opt_out"],
  ["opt out", "opt_out"],
  ["Opt-Out 🙏", "opt_out"],
  ["ＳＴＯＰ", "opt_out"],
  // Short requests to stop in other words.
  ["STOP PLEASE", "opt_out"],
  ["Stop texting me", "opt_out"],
  ["please unsubscribe me", "opt_out"],
  ["no more texts", "opt_out"],
  ["No more messages, thanks!", "opt_out"],
  ["Don't text me anymore", "opt_out"],
  ["do not contact me", "opt_out"],
  ["remove me from your list", "opt_out"],
  ["take me off this list please", "opt_out"],
  ["I want to opt out", "opt_out"],
  ["please stop sending me texts", "opt_out"],
  // A stop word inside an unrelated sentence is a reply, for a person.
  ["I can't stop by today", "reply"],
  ["Can you stop by tomorrow?", "reply"],
  ["cancel my appointment", "reply"],
  ["Don't stop, I still need the quote", "reply"],
  ["What time does your shop end today?", "reply"],
  [
    "stop stop stop the windshield crack is spreading, can you come earlier than noon tomorrow",
    "reply",
  ],
  // Opt-in and help keywords, alone.
  ["START", "opt_in"],
  ["yes", "opt_in"],
  ["Yes!", "opt_in"],
  ["unstop", "opt_in"],
  ["HELP", "help"],
  ["help?", "help"],
  ["Info", "help"],
  // Everything else reaches staff.
  ["Yes, 9 am works for me", "reply"],
  ["Thanks! See you Friday", "reply"],
  ["", "reply"],
  ["🙂", "reply"],
  ["I need help with my windshield", "reply"],
];

Deno.test("classifyInboundSms() reads each customer text as opt-out, opt-in, help or reply", async (t) => {
  for (const [text, intent] of cases) {
    await t.step(`${JSON.stringify(text)} → ${intent}`, () => {
      assert.equal(classifyInboundSms(text), intent);
    });
  }
});
