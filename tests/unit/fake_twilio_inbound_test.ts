import assert from "node:assert/strict";
import { parseMessagingTwiml } from "../../supabase/local/fakes/twiml.ts";
import { twilioKeyword } from "../../supabase/local/fakes/twilio_keywords.ts";

Deno.test("parseMessagingTwiml() reads an empty Response as no reply", () => {
  assert.deepEqual(parseMessagingTwiml('<?xml version="1.0" encoding="UTF-8"?><Response/>'), []);
  assert.deepEqual(parseMessagingTwiml("<Response></Response>"), []);
  assert.deepEqual(parseMessagingTwiml("<Response>\n  <!-- nothing -->\n</Response>"), []);
});

Deno.test("parseMessagingTwiml() reads each Message, inline or in Body, with entities resolved", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Message>Tom &amp; Jerry &lt;3 &#128663; &#x1F697;</Message>
  <Message to="+17205550199"><Body>Second</Body><Media>https://example.com/a.png</Media></Message>
  <Message><![CDATA[Raw <b> & kept]]></Message>
</Response>`;
  assert.deepEqual(parseMessagingTwiml(xml), [
    { body: "Tom & Jerry <3 🚗 🚗", media: [] },
    { body: "Second", media: ["https://example.com/a.png"], to: "+17205550199" },
    { body: "Raw <b> & kept", media: [] },
  ]);
});

Deno.test("parseMessagingTwiml() refuses what is not a Response document", () => {
  assert.equal(parseMessagingTwiml(""), undefined);
  assert.equal(parseMessagingTwiml("ok"), undefined);
  assert.equal(parseMessagingTwiml('{"ok":true}'), undefined);
  assert.equal(parseMessagingTwiml("<Foo><Message>hi</Message></Foo>"), undefined);
});

Deno.test("twilioKeyword() matches only a whole keyword, trimmed and in any case", () => {
  assert.equal(twilioKeyword("STOP"), "STOP");
  assert.equal(twilioKeyword("  stopall "), "STOP");
  assert.equal(twilioKeyword("Unsubscribe"), "STOP");
  assert.equal(twilioKeyword("quit"), "STOP");
  assert.equal(twilioKeyword("yes"), "START");
  assert.equal(twilioKeyword("UNSTOP"), "START");
  assert.equal(twilioKeyword("info"), "HELP");
  assert.equal(twilioKeyword("STOP PLEASE"), undefined);
  assert.equal(twilioKeyword("stop!"), undefined);
  assert.equal(twilioKeyword("Is Tuesday ok?"), undefined);
});
