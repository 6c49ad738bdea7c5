/**
 * lead-action as a phone's browser receives it, through the stack: on a custom domain (the
 * local stack's own URL) the page with its button, and with the links on `<ref>.supabase.co`,
 * where Supabase serves a GET's text/html as text/plain, an answer written as plain text.
 * The test sets PUBLIC_FUNCTIONS_URL as `supabase secrets set` would, and unsets it after.
 */
import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { switches } from "../support/fakes.ts";
import { signActionToken } from "../../shared/leads/action_links.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

await requireStack();

const IPHONE_SAFARI = {
  "user-agent":
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
};

async function linkFor(leadId: string): Promise<string> {
  const token = await signActionToken({
    id: crypto.randomUUID(),
    leadId,
    staffId: null,
    action: "lead_claimed",
    expiresAt: new Date(Date.now() + 3600_000),
  }, PUBLISHED_SECRETS.LEAD_ACTION_SECRET);
  return `${stack.functionsUrl}/lead-action?t=${token}`;
}

async function claims(sql: ReturnType<typeof connect>, leadId: string): Promise<number> {
  const [{ n }] = await sql`select count(*)::int as n from public.lead_activities
                            where lead_id = ${leadId} and activity_type = 'lead_claimed'`;
  return n;
}

Deno.test("a phone opening an alert link on the default domain reads plain text; the button's POST still records", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql, { sms_consent: false });
    const url = await linkFor(lead.id);

    const onCustomDomain = await fetch(url, { headers: IPHONE_SAFARI });
    assert.equal(onCustomDomain.status, 200);
    assert.equal(onCustomDomain.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(await onCustomDomain.text(), /<button type="submit">I&#39;m on it<\/button>/);

    await switches.functionEnv("lead-action", {
      PUBLIC_FUNCTIONS_URL: "https://abcdefghijklmnopqrst.supabase.co/functions/v1",
    });
    const opened = await fetch(url, { headers: IPHONE_SAFARI });
    assert.equal(opened.status, 200);
    assert.equal(opened.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(opened.headers.get("x-content-type-options"), "nosniff");
    const text = await opened.text();
    assert.doesNotMatch(text, /[<>]|&[a-z#0-9]+;/, "no markup, no entities");
    assert.match(text, /^I'm on it: not recorded\n\nOpening this link records nothing/);
    assert.equal(await claims(sql, lead.id), 0, "opening the link recorded nothing");

    const posted = await fetch(url, { method: "POST", headers: IPHONE_SAFARI });
    assert.equal(posted.status, 200);
    assert.equal(posted.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(
      await posted.text(),
      `You're on it\n\nRecorded for ${lead.reference_number} (Jane) as the admin inbox. ` +
        "The lead will not be escalated.\n",
    );
    assert.equal(await claims(sql, lead.id), 1);
  } finally {
    await switches.functionEnv("lead-action", { PUBLIC_FUNCTIONS_URL: null });
    await sql.end();
  }
});
