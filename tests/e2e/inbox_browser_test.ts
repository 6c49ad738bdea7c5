/**
 * The inbox page in headless Chromium, as a developer uses it: a lead comes in through the web
 * form's RPC, its messages appear by themselves, the Ref narrows the page to that lead, and the
 * customer's email opens as they would see it. Screenshots go to .local/inbox-browser/.
 *
 * Chromium is Debian's (`supabase/local/bin/ensure-tools` installs it), at /usr/bin/chromium
 * or CHROMIUM_PATH.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type postgres from "postgres";
import { chromium, type Page } from "playwright-core";
import { connect, requireStack, stack } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { twilio } from "../support/fakes.ts";
import { smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { changeFunctionEnv } from "../support/shared_state.ts";
import { waitFor } from "../support/wait_for.ts";
import { projectRoot } from "../../supabase/local/cluster.ts";

await requireStack();

const screenshots = join(projectRoot, ".local", "inbox-browser");
/** notify-lead redeployed with the CRM webhook on, as `supabase secrets set` would. */
const CRM_ENV = {
  WEBHOOK_CRM_URL: `${stack.webhookUrl}/crm/leads`,
  WEBHOOK_CRM_TOKEN: "local-crm-token-for-the-inbox-test",
};
/** How long the page may take to show a message: a drain, then the page's 2 s refresh. */
const appears = { timeout: 30_000 };

async function chromiumPath(): Promise<string> {
  const path = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(
      `Cannot drive the inbox: no Chromium at ${path}. Run \`npm test\` as root (it installs ` +
        "Debian's chromium), `sudo apt-get install chromium`, or set CHROMIUM_PATH.",
    );
  }
  return path;
}

/** What a web form's `supabase.rpc("submit_lead", {...})` runs through PostgREST as anon. */
async function submitLead(sql: postgres.Sql, lead: ReturnType<typeof newLead>) {
  return await sql.begin(async (tx) => {
    await tx`select set_config('role', 'anon', true),
      set_config('request.jwt.claims', '{"role":"anon"}', true)`;
    const [{ result }] = await tx`select public.submit_lead(
      first_name => ${lead.first_name}, last_name => ${lead.last_name}, email => ${lead.email},
      phone => ${lead.phone_e164}, vehicle_year => ${lead.vehicle_year}::integer,
      vehicle_make => ${lead.vehicle_make}, vehicle_model => ${lead.vehicle_model},
      service_type => ${lead.service_type}, mobile_service => ${lead.mobile_service},
      city => ${lead.city}, state => ${lead.state}, zip => ${lead.zip}, sms_consent => true,
      source_form => 'full_booking', form_rendered_at => now() - interval '1 minute',
      honeypot => '') as result`;
    return result as { reference_number: string; will_text: boolean };
  });
}

/**
 * Does `act` until the page is at the URL `reached` wants. The page's own reload, when the fakes
 * receive something, can swallow a click or a keystroke made just before it.
 */
async function navigate(
  page: Page,
  description: string,
  act: () => Promise<void>,
  reached: (url: URL) => boolean,
) {
  await waitFor(description, async () => {
    await act().catch(() => {});
    await page.waitForURL(reached, { timeout: 2_000 }).catch(() => {});
    return reached(new URL(page.url()));
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

/**
 * The environment without faketime's (npm run test:stress): the browser's clock is the
 * customer's, not the shop's, and Chromium does not load pages under faketime.
 */
function customersClock(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of Object.keys(env)) {
    if (name === "LD_PRELOAD" || name.startsWith("FAKETIME")) delete env[name];
  }
  return env;
}

Deno.test("the inbox page shows a new lead's messages by itself, narrows to its Ref and opens its email as the customer sees it", async () => {
  const sql = connect();
  const browser = await chromium.launch({
    executablePath: await chromiumPath(),
    env: customersClock(),
  });
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _crm = await changeFunctionEnv("notify-lead", CRM_ENV);
    await Deno.mkdir(screenshots, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(stack.inboxUrl);

    const lead = newLead({ first_name: "Jane", last_name: "Doe" });
    const { reference_number: ref, will_text } = await submitLead(sql, lead);
    assert.equal(will_text, true);
    const subject = `We received your request - Ref #${ref}`;
    const emailLink = page.getByRole("link", { name: subject, exact: true });
    await emailLink.waitFor(appears);

    const box = page.getByLabel("Lead Ref");
    await navigate(page, `the inbox filtered by ${ref}`, async () => {
      await box.fill(ref);
      await box.press("Enter");
    }, (url) => url.searchParams.get("ref") === ref);
    const cards = await page.locator("article.email").evaluateAll((articles) =>
      articles.map((a) =>
        `${a.textContent} ${a.querySelector("iframe")?.getAttribute("srcdoc") ?? ""}`
      )
    );
    assert.ok(cards.length >= 2, "the customer's confirmation and the staff alert");
    assert.ok(cards.every((c) => c.includes(ref)), "an email of another lead is listed");

    const thread = page.locator("article.sms");
    await thread.locator(".msg.ours.match", { hasText: `Ref: ${ref}` })
      .locator(".status.delivered").waitFor(appears);
    assert.deepEqual(await thread.locator("header strong").allTextContents(), [lead.phone_e164]);

    const delivery = page.locator("article.webhook", { hasText: "POST /crm/leads" });
    await delivery.waitFor(appears);
    assert.ok(
      (await delivery.locator("pre").textContent())?.includes(`"referenceNumber": "${ref}"`),
    );

    await twilio.inbound({ from: lead.phone_e164!, body: "Can you come at 9?" });
    await thread.locator(".msg.theirs", { hasText: "Can you come at 9?" }).waitFor(appears);
    assert.equal(new URL(page.url()).searchParams.get("ref"), ref, "the refresh kept the filter");
    assert.equal(await box.inputValue(), ref);
    const newest = page.locator("article.email iframe").first().contentFrame();
    await newest.getByText(ref).filter({ visible: true }).first().waitFor(appears);
    await page.screenshot({ path: join(screenshots, "inbox.png") });

    await navigate(
      page,
      "the customer's email opened",
      () => emailLink.click(),
      (url) => url.pathname.startsWith("/emails/"),
    );
    const frame = page.locator("iframe");
    const sandbox = await frame.getAttribute("sandbox");
    assert.ok(sandbox !== null && !/allow-scripts|allow-same-origin/.test(sandbox), sandbox ?? "");
    const email = page.frameLocator("iframe");
    await email.getByText("Hi Jane,").waitFor();
    await email.getByText(`Reference number: ${ref}`).waitFor();
    assert.ok((await page.locator("details.text-part[open] pre").textContent())?.includes(ref));
    await page.screenshot({ path: join(screenshots, "email.png") });

    await navigate(
      page,
      "back to the filtered inbox",
      () => page.getByRole("link", { name: /back to the inbox/ }).click(),
      (url) => url.pathname === "/" && url.searchParams.get("ref") === ref,
    );
  } finally {
    await browser.close();
    await sql.end();
  }
});
