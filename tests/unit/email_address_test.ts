import assert from "node:assert/strict";
import { isDeliverableEmail } from "../../shared/compliance/email_address.ts";

Deno.test("isDeliverableEmail() takes what Resend and SendGrid take, and nothing they refuse", async (t) => {
  const cases: Array<[string, boolean]> = [
    ["jane@example.com", true],
    ["jane.doe+quotes@mail.example.co.uk", true],
    ["o'brien@example.ie", true],
    ['"<script>alert(4)</script>"@example.com', false],
    ['"jane doe"@example.com', false],
    ["jane doe@example.com", false],
    ["jane@example", false],
    ["jane@@example.com", false],
    ["Jane <jane@example.com>", false],
    ["jane@example.com,bob@example.com", false],
    ["jane@exa;mple.com", false],
    [`${"a".repeat(250)}@example.com`, false],
  ];
  for (const [address, deliverable] of cases) {
    await t.step(
      address.slice(0, 60),
      () => assert.equal(isDeliverableEmail(address), deliverable),
    );
  }
});
