/**
 * lead-action refuses what it must before the database is touched: a wrong method, a forged or
 * expired link; opening a link (GET, HEAD: a person, a mail scanner, a preview) shows its button
 * and records nothing. The recording (the button's POST) is tested through the stack
 * (tests/e2e/distribution_test.ts).
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { createLeadActionHandler, pageFormatFor } from "../../shared/lead_action/handler.ts";
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

Deno.test("pageFormatFor() writes plain text where Supabase serves a GET's HTML as text", async (t) => {
  const cases: Array<[string, "html" | "text"]> = [
    ["https://abcdefghijklmnopqrst.supabase.co/functions/v1", "text"],
    ["https://ABCDEFGHIJKLMNOPQRST.SUPABASE.CO/functions/v1", "text"],
    ["https://hooks.pinkautoglass.com/functions/v1", "html"],
    ["https://supabase.co.evil.example/functions/v1", "html"],
    ["http://127.0.0.1:54321/functions/v1", "html"],
  ];
  for (const [url, format] of cases) {
    await t.step(`${url} → ${format}`, () => assert.equal(pageFormatFor(url), format));
  }
});

Deno.test("on <ref>.supabase.co a phone gets plain text that reads as text, and nothing is recorded", async (t) => {
  const textHandler = createLeadActionHandler({
    sql: untouchable,
    secret: SECRET,
    clock: () => now,
    pages: "text",
  });
  /** What a phone's browser shows of a text/plain answer: the body as it is. */
  async function phoneOpens(url: string) {
    const res = await textHandler(
      new Request(url, {
        headers: {
          "user-agent":
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
          accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        },
      }),
    );
    return { res, body: await res.text() };
  }
  function readsAsText(body: string) {
    assert.doesNotMatch(body, /[<>]|&[a-z#0-9]+;/, "no markup and no entities");
    assert.ok(body.split("\n").every((line) => line.length <= 400), "short paragraphs");
  }
  await t.step("a valid link: what it is, that nothing was recorded, and what to do", async () => {
    const { res, body } = await phoneOpens(await link(new Date(now.getTime() + 3600_000)));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    readsAsText(body);
    const [title, blank, message] = body.split("\n");
    assert.equal(title, "I'm on it: not recorded");
    assert.equal(blank, "");
    assert.match(message, /^Opening this link records nothing \(mail scanners open links too\)/);
    assert.match(message, /Call the customer from the alert/);
    assert.match(message, /custom domain \(PUBLIC_FUNCTIONS_URL\)/);
  });
  await t.step("an expired link", async () => {
    const { res, body } = await phoneOpens(await link(new Date(now.getTime() - 1000)));
    assert.equal(res.status, 410);
    readsAsText(body);
    assert.equal(
      body,
      "This link has expired\n\nNothing was recorded. Call the customer from the lead in the dashboard.\n",
    );
  });
  await t.step("a forged link", async () => {
    const { res, body } = await phoneOpens(
      await link(new Date(now.getTime() + 3600_000), "y".repeat(40)),
    );
    assert.equal(res.status, 403);
    readsAsText(body);
    assert.match(body, /^This link is not valid\n\nNothing was recorded\./);
  });
});
