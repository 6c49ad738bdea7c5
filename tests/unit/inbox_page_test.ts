/**
 * The inbox page as pure functions of what the fakes hold: the Ref filter, an email opened
 * alone, and the escaping of everything a lead typed.
 */
import assert from "node:assert/strict";
import {
  filterByRef,
  handleInbox,
  type InboxSnapshot,
  type InboxSources,
  mentionsRef,
  normalizeRef,
  renderInbox,
} from "../../supabase/local/fakes/inbox_page.ts";
import { emailCard, renderEmailPage } from "../../supabase/local/fakes/inbox_email.ts";
import type {
  FakeConversation,
  FakeConversationMessage,
  FakeEmail,
  FakeUpload,
  FakeWebhook,
} from "../../supabase/local/fakes/mod.ts";

const REF = "PAG-261125-0042";
const OTHER = "PAG-261125-0043";

function makeEmail(overrides: Partial<FakeEmail> = {}): FakeEmail {
  return {
    id: crypto.randomUUID(),
    created_at: "2026-11-25T17:00:00.000Z",
    from: "Pink Auto Glass <hello@pinkautoglass.com>",
    to: ["jane@example.com"],
    cc: null,
    bcc: null,
    reply_to: null,
    subject: `We received your request - Ref #${REF}`,
    html: `<p>Hi Jane,</p><p><strong>Reference number:</strong> ${REF}</p>`,
    text: `Hi Jane,\nReference number: ${REF}`,
    headers: null,
    tags: null,
    scheduled_at: null,
    attachments: null,
    idempotency_key: null,
    batch: false,
    events: [],
    ...overrides,
  } as FakeEmail;
}

function text(
  body: string,
  overrides: Partial<FakeConversationMessage> = {},
): FakeConversationMessage {
  return {
    sid: `SM${crypto.randomUUID().replace(/-/g, "")}`,
    direction: "outbound-api",
    auto_reply: false,
    from: "+17209187465",
    to: "+17205550142",
    body,
    media: [],
    status: "delivered",
    error_code: null,
    date_created: "2026-11-25T17:00:01.000Z",
    ...overrides,
  };
}

function webhook(json: unknown): FakeWebhook {
  const raw = JSON.stringify(json);
  return {
    id: crypto.randomUUID(),
    at: "2026-11-25T17:00:02.000Z",
    path: "/crm",
    content_type: "application/json",
    headers: {},
    raw_body: raw,
    json,
  };
}

function upload(path: string): FakeUpload {
  return {
    id: crypto.randomUUID(),
    bucket: "lead-photos",
    path,
    content_type: "image/png",
    size: 2,
    cache_control: "3600",
    created_at: "2026-11-25T16:59:00.000Z",
    url: `http://127.0.0.1:54321/storage/v1/object/lead-photos/${path}`,
  };
}

/** Two leads' messages: REF's (email with a photo link, a thread with a reply, a webhook) and OTHER's. */
function twoLeads(): InboxSnapshot {
  const ours: FakeConversation = {
    phone: "+17205550142",
    messages: [
      text(`Hi Jane! We received your request (Ref: ${REF}).`),
      text("Can you come at 9?", { direction: "inbound", from: "+17205550142", to: "+1720" }),
    ],
  };
  const theirs: FakeConversation = {
    phone: "+17205550199",
    messages: [text(`Hi Ann! We received your request (Ref: ${OTHER}).`, { to: "+17205550199" })],
  };
  return {
    emails: [
      makeEmail({
        subject: `New Lead: Jane Doe - Ref #${REF}`,
        html:
          `<a href="http://127.0.0.1:54321/storage/v1/object/sign/lead-photos/42/crack.png?token=t">Photo 1</a> ${REF}`,
      }),
      makeEmail({ subject: `We received your request - Ref #${OTHER}`, html: OTHER, text: OTHER }),
    ],
    sms: [],
    conversations: [ours, theirs],
    uploads: [upload("42/crack.png"), upload("43/dent.png")],
    webhooks: [webhook({ lead: { reference_number: REF } }), webhook({ ref: OTHER })],
  };
}

Deno.test("mentionsRef() finds a whole Ref in any case, never inside a longer one", () => {
  assert.equal(mentionsRef(`Ref #${REF}`, REF), true);
  assert.equal(mentionsRef(`(Ref: ${REF.toLowerCase()}).`, REF), true);
  assert.equal(mentionsRef(`Ref #${REF}1`, REF), false, "PAG-261125-00421 is another lead");
  assert.equal(mentionsRef(`Ref #X${REF}`, REF), false);
  assert.equal(mentionsRef(`Ref #${REF}`, "261125"), true, "a day's leads");
  assert.equal(mentionsRef("PAGX261125", "PAG.261125"), false, "the Ref is text, not a pattern");
  assert.equal(mentionsRef(null, REF), false);
});

Deno.test("normalizeRef() takes a Ref as people paste it: spaces and a leading # dropped", () => {
  assert.equal(normalizeRef(`  #${REF} `), REF);
  assert.equal(normalizeRef("   "), "");
});

Deno.test("filterByRef() keeps what mentions the Ref: whole SMS threads, the photos its email links", () => {
  const all = twoLeads();
  const kept = filterByRef(all, REF);
  assert.deepEqual(kept.emails.map((e) => e.subject), [`New Lead: Jane Doe - Ref #${REF}`]);
  assert.deepEqual(kept.conversations.map((c) => c.phone), ["+17205550142"]);
  assert.equal(kept.conversations[0].messages.length, 2, "the customer's reply stays");
  assert.deepEqual(kept.uploads.map((u) => u.path), ["42/crack.png"]);
  assert.deepEqual(kept.webhooks.map((w) => w.json), [{ lead: { reference_number: REF } }]);
  assert.deepEqual(filterByRef(all, ""), all, "no Ref: everything");
});

Deno.test("renderInbox() with a Ref shows it in the filter box, outlines the texts that name it and keeps it in email links", () => {
  const snapshot = filterByRef(twoLeads(), REF);
  const page = renderInbox(snapshot, { ref: REF });
  assert.ok(page.includes(`name="ref" type="search" value="${REF}"`));
  assert.ok(page.includes(`<title>leadwire inbox · ${REF} (5)</title>`));
  assert.ok(page.includes("SMS conversations are shown whole"));
  assert.equal(page.match(/class="msg ours match"/g)?.length, 1);
  assert.ok(page.includes(`class="msg theirs"`), "the reply is shown, not outlined");
  assert.ok(page.includes(`href="/emails/${snapshot.emails[0].id}?ref=${REF}"`));
  assert.ok(!page.includes(OTHER));
  assert.ok(page.includes('fetch("/api" + location.search)'), "the refresh asks with the filter");
  assert.ok(
    renderInbox(filterByRef(twoLeads(), "PAG-0"), { ref: "PAG-0" })
      .includes("No email mentions PAG-0."),
  );
});

Deno.test("renderInbox() escapes a hostile Ref from the address bar", () => {
  const ref = `"><script>alert(1)</script>`;
  const page = renderInbox(filterByRef(twoLeads(), ref), { ref });
  assert.ok(!page.includes("<script>alert"));
  assert.ok(page.includes('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"'));
});

Deno.test("renderInbox() lists the newest 100 of a kind and says how many older ones a Ref finds", () => {
  const emails = Array.from({ length: 103 }, (_, i) => makeEmail({ subject: `Email ${i}` }));
  const page = renderInbox({ ...twoLeads(), emails });
  assert.ok(page.includes("Emails <small>(103)</small>"));
  assert.ok(page.includes(">Email 99</a>") && !page.includes(">Email 100</a>"));
  assert.ok(page.includes("…and 3 older: filter by Ref to find one."));
});

Deno.test("emailCard() shows the HTML in a frame that runs no script and the text part under it", () => {
  const e = makeEmail({
    subject: "<b>Jane</b>",
    html: `<p onclick="x()">Hi "Jane"</p><script>alert(1)</script>`,
    text: "Hi <Jane>",
  });
  const card = emailCard(e);
  const sandbox = card.match(/<iframe sandbox="([^"]*)"/)?.[1];
  assert.equal(sandbox, "allow-popups allow-popups-to-escape-sandbox", "links open in a new tab");
  assert.ok(!card.includes("<script>") && !card.includes('onclick="'), "the HTML is escaped");
  assert.ok(card.includes('srcdoc="&lt;p onclick=&quot;x()&quot;&gt;'));
  assert.ok(card.includes("<summary>Text part</summary><pre>Hi &lt;Jane&gt;</pre>"));
  assert.ok(card.includes(`<a class="subject" href="/emails/${e.id}">&lt;b&gt;Jane&lt;/b&gt;</a>`));
  assert.ok(emailCard(makeEmail({ text: null })).includes("no text part"));
  assert.ok(emailCard(makeEmail({ html: null })).includes("text only, no HTML part"));
});

Deno.test("renderEmailPage() shows one email with its text part open and a way back to the filtered inbox", () => {
  const e = makeEmail({ cc: ["admin@pinkautoglass.com"] });
  const page = renderEmailPage(e, { ref: REF });
  assert.ok(page.includes(`<a href="/?ref=${REF}">← back to the inbox (Ref ${REF})</a>`));
  assert.ok(page.includes(`<details class="text-part" open>`));
  assert.ok(page.includes("cc admin@pinkautoglass.com"));
  assert.equal(page.match(/<iframe /g)?.length, 1);
  assert.ok(!page.includes("<script"), "the page runs nothing");
});

Deno.test("handleInbox() filters the page and /api by ?ref= alike and opens /emails/<id>", async (t) => {
  const snapshot = twoLeads();
  const sources: InboxSources = {
    emails: () => snapshot.emails,
    sms: () => snapshot.sms,
    conversations: () => snapshot.conversations,
    uploads: () => snapshot.uploads,
    webhooks: () => snapshot.webhooks,
    object: () => undefined,
  };
  const get = (path: string) => handleInbox(new Request(`http://inbox${path}`), sources);

  await t.step("/api?ref=", async () => {
    const api = await get(`/api?ref=%23${REF}`).json() as InboxSnapshot;
    assert.deepEqual(api, JSON.parse(JSON.stringify(filterByRef(snapshot, REF))));
  });
  await t.step("/?ref=", async () => {
    const page = await get(`/?ref=${REF.toLowerCase()}`).text();
    assert.ok(page.includes(REF) && !page.includes(OTHER));
  });
  await t.step("/emails/<id>", async () => {
    const res = await get(`/emails/${snapshot.emails[1].id}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-security-policy") ?? "", /script-src 'none'/);
    assert.ok((await res.text()).includes(`<title>We received your request - Ref #${OTHER}`));
  });
  await t.step("an unknown or malformed id: 404", async () => {
    for (const path of ["/emails/nope", "/emails/%E0%A4%A", "/attachments/%E0%A4%A/0"]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
  });
});
