import assert from "node:assert/strict";
import { maskEmail, maskPhone, maskPII } from "../../shared/platform/mask.ts";

Deno.test("maskPhone() keeps the country code, three digits and the last four", async (t) => {
  await t.step("E.164", () => assert.equal(maskPhone("+17209187465"), "+1720***7465"));
  await t.step(
    "US national format",
    () => assert.equal(maskPhone("(720) 918-7465"), "+1720***7465"),
  );
  await t.step("another country", () => assert.equal(maskPhone("+442079460958"), "+44207***0958"));
  await t.step("not a phone number", () => assert.equal(maskPhone("hello"), "***"));
});

Deno.test("maskEmail() keeps the first letter and the domain", async (t) => {
  await t.step("the spec's example", () => {
    assert.equal(maskEmail("jane.doe@example.com"), "j***@example.com");
  });
  await t.step(
    "a one-letter local part",
    () => assert.equal(maskEmail("j@example.com"), "j***@example.com"),
  );
  await t.step("not an email", () => assert.equal(maskEmail("jane"), "***"));
});

Deno.test("maskPII() masks every phone number and email in a log line", async (t) => {
  await t.step("both kinds in one line", () => {
    assert.equal(
      maskPII('{"to":"+17209187465","email":"jane.doe@example.com","status":"sent"}'),
      '{"to":"+1720***7465","email":"j***@example.com","status":"sent"}',
    );
  });
  await t.step("phone numbers in the formats people type", () => {
    assert.equal(
      maskPII("call (720) 918-7465 or 720.918.7465 or 1-720-918-7465"),
      "call +1720***7465 or +1720***7465 or +1720***7465",
    );
  });
  await t.step("a '+' number no real number has the shape of", () => {
    assert.equal(maskPII("to=+15555555555 failed"), "to=+1555***5555 failed");
  });
  await t.step("several emails", () => {
    assert.equal(
      maskPII("a@b.co, Bob.Smith+x@mail.example.org"),
      "a***@b.co, B***@mail.example.org",
    );
  });
  await t.step("reference numbers, ids, SIDs and timestamps stay readable", () => {
    const line = "lead 3f1e2d3c-4b5a-6978-8899-aabbccddeeff ref PAG-261125-0042 " +
      "sid SM0123456789abcdef0123456789abcdef at 2026-11-25T10:00:00.123Z took 1234567ms";
    assert.equal(maskPII(line), line);
  });
  await t.step("a number written right after a label or a SID is still found", () => {
    assert.equal(
      maskPII("to:7209187465 sid SMab12 (720) 918-7465 x+17209187465"),
      "to:+1720***7465 sid SMab12 +1720***7465 x+1720***7465",
    );
  });
  await t.step("masking twice changes nothing more", () => {
    const once = maskPII("jane.doe@example.com +17209187465");
    assert.equal(maskPII(once), once);
  });
});
