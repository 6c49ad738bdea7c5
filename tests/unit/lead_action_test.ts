/**
 * lead-action refuses what it must before the database is touched: a wrong method, a forged or
 * expired link; opening a link (GET, HEAD: a person, a mail scanner, a preview) shows its button
 * and records nothing. The recording (the button's POST) is tested through the stack
 * (tests/e2e/distribution_test.ts).
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { createLeadActionHandler } from "../../shared/lead_action/handler.ts";
import { signActionToken } from "../../shared/leads/action_links.ts";

const SECRET = "a-test-secret-of-at-least-thirty-two-chars";
const now = new Date("2026-11-25T17:00:00Z");
// Any use of the database fails the test: these answers must come before it.
const untouchable = new Proxy({}, {
  get: () => {
    throw new Error("the database was touched");
  },
}) as unknown as postgres.Sql;
const handler = createLeadActionHandler({ sql: untouchable, secret: SECRET, clock: () => now });

async function link(expiresAt: Date, secret = SECRET) {
  const token = await signActionToken({
    id: "lead-1:staff_new_lead_email:lead_claimed",
    leadId: "00000000-0000-4000-8000-000000000001",
    staffId: null,
    action: "lead_claimed",
    expiresAt,
  }, secret);
  return `http://localhost/lead-action?t=${token}`;
}

Deno.test("lead-action answers bad links with a page and never reaches the database", async (t) => {
  const cases: Array<[string, () => Promise<Request>, number, RegExp]> = [
    [
      "expired",
      async () => new Request(await link(new Date(now.getTime() - 1000))),
      410,
      /This link has expired/,
    ],
    [
      "signed with another key",
      async () => new Request(await link(new Date(now.getTime() + 3600_000), "x".repeat(40))),
      403,
      /This link is not valid/,
    ],
    [
      "no token",
      () => Promise.resolve(new Request("http://localhost/lead-action")),
      403,
      /not valid/,
    ],
    [
      "a PUT of a valid link",
      async () => new Request(await link(new Date(now.getTime() + 3600_000)), { method: "PUT" }),
      405,
      /Open the link from the alert/,
    ],
    [
      "a POST without a link: the link is checked before the method",
      () =>
        Promise.resolve(
          new Request("http://localhost/lead-action", { method: "POST", body: "x".repeat(1e6) }),
        ),
      403,
      /not valid/,
    ],
  ];
  for (const [name, request, status, page] of cases) {
    await t.step(name, async () => {
      const res = await handler(await request());
      assert.equal(res.status, status);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(await res.text(), page);
    });
  }
  await t.step("a HEAD of a valid link records nothing", async () => {
    const res = await handler(
      new Request(await link(new Date(now.getTime() + 3600_000)), { method: "HEAD" }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, null);
  });
  await t.step(
    "a GET of a valid link (a scanner's, a preview's) shows the button and records nothing",
    async () => {
      const res = await handler(new Request(await link(new Date(now.getTime() + 3600_000))));
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(
        html,
        /<form method="post" action=""><button type="submit">I&#39;m on it<\/button><\/form>/,
      );
      assert.equal(res.headers.get("x-frame-options"), "DENY");
      assert.equal(res.headers.get("referrer-policy"), "no-referrer");
      assert.match(
        res.headers.get("content-security-policy")!,
        /default-src 'none'.*frame-ancestors 'none'/,
      );
    },
  );
});
