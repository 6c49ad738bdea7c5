/**
 * The inbox: one page listing what the fakes accepted (emails, SMS, uploads, webhook
 * deliveries), newest first, like Supabase's local mail catcher. SMS show as conversations:
 * per customer phone, our texts and the customer's replies as bubbles, with each outgoing
 * text's delivery status. `GET /` is the page, `GET /api` the same as JSON; both take `?ref=`
 * (a lead's Ref, e.g. `PAG-261125-0042`) to keep only what mentions it (see `filterByRef`).
 * `GET /emails/<id>` is one email alone, `GET /uploads/<bucket>/<path>` an uploaded object (so
 * photos show on the page), `GET /attachments/<email id>/<n>` an email's attachment
 * (inbox_email.ts). The page masks a webhook's bearer token (it may be on a shared screen);
 * `/api`, like the webhook fake's `/__fake/messages`, lists deliveries as received.
 */
import type { FakeEmail } from "./resend_fake.ts";
import { baseStyle, escapeHtml, timeTag } from "./html.ts";
import { attachmentFile, emailCard, renderEmailPage } from "./inbox_email.ts";
import type { FakeUpload } from "./storage_fake.ts";
import type {
  FakeConversation,
  FakeConversationMessage,
  FakeMedia,
  FakeSms,
} from "./twilio_store.ts";
import type { FakeWebhook } from "./webhook_fake.ts";

export interface InboxSnapshot {
  emails: FakeEmail[];
  /** Sends through the REST API only. */
  sms: FakeSms[];
  /** Every SMS both ways, per phone; the most recently active phone first. */
  conversations: FakeConversation[];
  uploads: FakeUpload[];
  webhooks: FakeWebhook[];
}

export interface InboxSources {
  emails(): FakeEmail[];
  sms(): FakeSms[];
  conversations(): FakeConversation[];
  uploads(): FakeUpload[];
  webhooks(): FakeWebhook[];
  object(
    bucket: string,
    path: string,
  ): { bytes: Uint8Array<ArrayBuffer>; content_type: string } | undefined;
}

function newestFirst<T>(items: T[], at: (item: T) => string): T[] {
  return [...items].sort((a, b) => at(b).localeCompare(at(a)));
}

/** What the fakes hold, newest first. */
export function inboxSnapshot(sources: InboxSources): InboxSnapshot {
  return {
    emails: newestFirst(sources.emails(), (e) => e.created_at),
    sms: newestFirst(sources.sms(), (s) => s.date_created),
    conversations: newestFirst(
      sources.conversations(),
      (c) => c.messages[c.messages.length - 1].date_created,
    ),
    uploads: newestFirst(sources.uploads(), (u) => u.created_at),
    webhooks: newestFirst(sources.webhooks(), (w) => w.at),
  };
}

/** What a person types into the filter box: `#PAG-261125-0042 ` → `PAG-261125-0042`. */
export function normalizeRef(input: string): string {
  return input.trim().replace(/^#/, "").trim();
}

/**
 * Whether `text` names `ref` as a whole: `PAG-261125-0042` is not in `PAG-261125-00421`, and
 * any case matches. A part of a Ref such as `261125` (a day) matches the same way.
 */
export function mentionsRef(text: string | null, ref: string): boolean {
  if (!text || !ref) return false;
  const escaped = ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, "i").test(text);
}

/**
 * What the fakes hold about one lead: the emails, SMS sends and webhook deliveries that mention
 * `ref`; each SMS conversation with a text mentioning it, whole (a customer's reply rarely
 * repeats the Ref); the uploads whose path names it or that a kept email links to (the photos
 * of a staff alert). An empty `ref` keeps everything.
 */
export function filterByRef(snapshot: InboxSnapshot, ref: string): InboxSnapshot {
  if (!ref) return snapshot;
  const emails = snapshot.emails.filter((e) =>
    [e.subject, e.text, e.html].some((part) => mentionsRef(part, ref))
  );
  const linked = (u: FakeUpload) =>
    emails.some((e) => [e.html, e.text].some((part) => part?.includes(`${u.bucket}/${u.path}`)));
  return {
    emails,
    sms: snapshot.sms.filter((s) => mentionsRef(s.body, ref)),
    conversations: snapshot.conversations.filter((c) =>
      c.messages.some((m) => mentionsRef(m.body, ref))
    ),
    uploads: snapshot.uploads.filter((u) => mentionsRef(`${u.bucket}/${u.path}`, ref) || linked(u)),
    webhooks: snapshot.webhooks.filter((w) => mentionsRef(w.raw_body, ref)),
  };
}

/** A link to an MMS attachment; only http(s) URLs become links (customer input is hostile). */
function mediaLink(media: FakeMedia): string {
  const label = escapeHtml(media.content_type || "media");
  let url: URL | undefined;
  try {
    url = new URL(media.url);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    return `<span class="media">${label}: ${escapeHtml(media.url)}</span>`;
  }
  return `<a class="media" href="${
    escapeHtml(media.url)
  }" target="_blank" rel="noopener noreferrer">${label}</a>`;
}

function label(m: FakeConversationMessage): string {
  if (m.direction === "inbound") return "customer";
  if (m.direction === "outbound-reply") return m.auto_reply ? "Twilio auto-reply" : "TwiML reply";
  return `from ${m.from ?? "messaging service"}`;
}

function bubble(m: FakeConversationMessage, ref: string): string {
  const ours = m.direction !== "inbound";
  const status = ours
    ? `<span class="status ${escapeHtml(m.status)}">${escapeHtml(m.status)}${
      m.error_code === null ? "" : ` · error ${m.error_code}`
    }</span>`
    : "";
  const classes = [
    "msg",
    ours ? "ours" : "theirs",
    m.auto_reply ? "auto" : "",
    mentionsRef(m.body, ref) ? "match" : "",
  ].filter(Boolean);
  return `<div class="${classes.join(" ")}">
    ${m.body ? `<div class="bubble">${escapeHtml(m.body)}</div>` : ""}
    ${m.media.map(mediaLink).join(" ")}
    <div class="meta">${escapeHtml(label(m))} ${status} ${timeTag(m.date_created)}</div>
  </div>`;
}

function conversationCard(c: FakeConversation, ref: string): string {
  return `<article class="card sms">
  <header><strong>${escapeHtml(c.phone)}</strong> <small>(${c.messages.length})</small></header>
  <div class="thread">
  ${c.messages.map((m) => bubble(m, ref)).join("\n  ")}
  </div>
</article>`;
}

function uploadCard(u: FakeUpload): string {
  const href = `/uploads/${encodeURIComponent(u.bucket)}/${
    u.path.split("/").map(encodeURIComponent).join("/")
  }`;
  const preview = u.content_type.startsWith("image/")
    ? `<img src="${escapeHtml(href)}" alt="${escapeHtml(u.path)}">`
    : "";
  return `<article class="card upload">
  <div class="meta"><a href="${escapeHtml(href)}">${escapeHtml(u.bucket)}/${
    escapeHtml(u.path)
  }</a> ${timeTag(u.created_at)}</div>
  <div class="meta">${escapeHtml(u.content_type)} · ${u.size} bytes</div>
  ${preview}
</article>`;
}

/** `Bearer local-crm-token` → `Bearer loc…`: enough to tell tokens apart, not to reuse one. */
function maskAuthorization(value: string): string {
  const space = value.indexOf(" ");
  const scheme = space < 0 ? "" : value.slice(0, space + 1);
  const credential = value.slice(space + 1);
  return `${scheme}${credential.length > 6 ? credential.slice(0, 3) : ""}…`;
}

function webhookCard(w: FakeWebhook): string {
  const { authorization, "webhook-id": webhookId } = w.headers;
  const meta = [
    w.headers["webhook-signature"] === undefined ? "unsigned" : "signed",
    webhookId === undefined ? "" : `webhook-id <code>${escapeHtml(webhookId)}</code>`,
    authorization === undefined
      ? "no authorization"
      : `authorization <code>${escapeHtml(maskAuthorization(authorization))}</code>`,
    w.content_type === null ? "" : escapeHtml(w.content_type),
  ].filter(Boolean).join(" · ");
  return `<article class="card webhook">
  <div class="meta"><strong>POST ${escapeHtml(w.path)}</strong> ${timeTag(w.at)}</div>
  <div class="meta">${meta}</div>
  <pre>${escapeHtml(JSON.stringify(w.json, null, 2))}</pre>
</article>`;
}

/** Cards past this many per kind are left off the page (`/api` lists all); a Ref finds them. */
const shownPerSection = 100;

function section<T>(title: string, items: T[], card: (item: T) => string, empty: string): string {
  const older = items.length - shownPerSection;
  return `<section><h2>${title} <small>(${items.length})</small></h2>${
    items.length
      ? items.slice(0, shownPerSection).map(card).join("\n")
      : `<p class="empty">${empty}</p>`
  }${
    older > 0 ? `<p class="empty">…and ${older} older: filter by Ref to find one.</p>` : ""
  }</section>`;
}

/**
 * What changes when the fakes receive something or an SMS changes status. The page's script
 * computes the same from `/api`.
 */
export function inboxFingerprint(snapshot: InboxSnapshot): string {
  return [
    snapshot.emails.length,
    snapshot.uploads.length,
    snapshot.webhooks.length,
    ...snapshot.conversations.flatMap((c) => c.messages.map((m) => m.sid + m.status)),
  ].join(",");
}

export interface RenderInboxOptions {
  /**
   * The Ref `snapshot` was filtered by (`filterByRef`): shown in the filter box, its texts
   * outlined in the conversations, kept by the links to emails. Default: none.
   */
  ref?: string;
}

/**
 * The inbox page. It reloads itself, keeping its `?ref=`, when `/api` with the same filter
 * changes, except while a new Ref is being typed or another page is opening.
 */
export function renderInbox(snapshot: InboxSnapshot, opts: RenderInboxOptions = {}): string {
  const ref = opts.ref ?? "";
  const texts = snapshot.conversations.reduce((n, c) => n + c.messages.length, 0);
  const count = snapshot.emails.length + texts + snapshot.uploads.length +
    snapshot.webhooks.length;
  const none = (kind: string) =>
    ref ? `No ${kind} mentions ${escapeHtml(ref)}.` : `No ${kind} yet.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>leadwire inbox${ref ? ` · ${escapeHtml(ref)}` : ""} (${count})</title>
<style>${baseStyle}
  main { display: grid; grid-template-columns: 2fr 1.5fr 1fr 1fr; gap: 16px; padding: 16px; }
  .filter { display: flex; align-items: center; gap: 6px; margin-left: auto; }
  .filter input { font: inherit; padding: 4px 8px; border-radius: 4px; border: 0; width: 16em; }
  .filter button { font: inherit; padding: 4px 10px; border-radius: 4px; border: 0; cursor: pointer; }
  .filtered { margin: 12px 16px 0; padding: 8px 12px; background: #fff7e0; border-radius: 6px; }
  .email .subject { font-weight: 600; color: #1a56db; text-decoration: none; }
  .email .subject:hover { text-decoration: underline; }
  .thread { display: flex; flex-direction: column; gap: 4px; }
  .msg { max-width: 85%; }
  .msg.ours { align-self: flex-end; text-align: right; }
  .msg.theirs { align-self: flex-start; }
  .bubble { border-radius: 16px; padding: 8px 12px; margin: 6px 0 2px; white-space: pre-wrap; word-break: break-word; text-align: left; }
  .ours .bubble { background: #34c759; color: #fff; border-bottom-right-radius: 4px; }
  .theirs .bubble { background: #e5e5ea; color: #1c1e21; border-bottom-left-radius: 4px; }
  .auto .bubble { background: #8e8e93; }
  .match .bubble { outline: 3px solid #f59e0b; outline-offset: 1px; }
  .msg .meta { word-break: normal; }
  .msg .meta time { float: none; margin-left: 4px; white-space: nowrap; }
  .status.delivered { color: #1e8e3e; }
  .status.undelivered, .status.failed, .status.bounced, .status.complained { color: #d93025; font-weight: 600; }
  .media { display: inline-block; font-size: 12px; margin: 2px 0; }
  .webhook .meta + .meta { clear: right; }
  .webhook pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; margin: 6px 0 0; }
  img { max-width: 100%; border-radius: 4px; margin-top: 6px; }
</style>
</head>
<body>
<header class="bar">
<h1>leadwire inbox · what the local fakes received</h1>
<form class="filter" method="get" action="/" role="search">
  <label for="ref">Lead Ref</label>
  <input id="ref" name="ref" type="search" value="${
    escapeHtml(ref)
  }" placeholder="PAG-261125-0042" autocomplete="off" spellcheck="false">
  <button type="submit">Filter</button>
  ${ref ? `<a href="/">show all</a>` : ""}
</form>
</header>
${
    ref
      ? `<p class="filtered">Only what mentions <strong>${
        escapeHtml(ref)
      }</strong>. SMS conversations are shown whole, the texts that mention it outlined.</p>`
      : ""
  }
<main>
${section("Emails", snapshot.emails, (e) => emailCard(e, { ref }), none("email"))}
${section("SMS", snapshot.conversations, (c) => conversationCard(c, ref), none("SMS"))}
${section("Uploads", snapshot.uploads, uploadCard, none("upload"))}
${section("Webhooks", snapshot.webhooks, webhookCard, none("webhook"))}
</main>
<script>
  const seen = ${JSON.stringify(inboxFingerprint(snapshot)).replace(/</g, "\\u003c")};
  const box = document.getElementById("ref");
  let leaving = false;
  addEventListener("beforeunload", () => { leaving = true; });
  addEventListener("pageshow", () => { leaving = false; });
  setInterval(async () => {
    // A reload would wipe a Ref being typed, or cancel the email being opened.
    if (leaving || box.value !== box.defaultValue) return;
    const s = await fetch("/api" + location.search).then((r) => r.json()).catch(() => null);
    if (!s || leaving) return;
    const now = [
      s.emails.length,
      s.uploads.length,
      s.webhooks.length,
      ...s.conversations.flatMap((c) => c.messages.map((m) => m.sid + m.status)),
    ].join(",");
    if (now !== seen) location.reload();
  }, 2000);
</script>
</body>
</html>`;
}

/** A path segment decoded, or undefined when it is not valid percent-encoding. */
function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function htmlResponse(page: string, headers: Record<string, string> = {}): Response {
  return new Response(page, {
    headers: { "content-type": "text/html; charset=utf-8", ...headers },
  });
}

/** Answers the inbox port's requests. */
export function handleInbox(req: Request, sources: InboxSources): Response {
  const url = new URL(req.url);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405 });
  }
  const ref = normalizeRef(url.searchParams.get("ref") ?? "");
  if (url.pathname === "/") {
    return htmlResponse(renderInbox(filterByRef(inboxSnapshot(sources), ref), { ref }));
  }
  if (url.pathname === "/api") return Response.json(filterByRef(inboxSnapshot(sources), ref));
  const opened = url.pathname.match(/^\/emails\/([^/]+)$/);
  if (opened) {
    const id = decoded(opened[1]);
    const email = sources.emails().find((e) => e.id === id);
    // The page itself needs no script; the header covers the email's frame too.
    if (email) {
      return htmlResponse(renderEmailPage(email, { ref }), {
        "content-security-policy": "script-src 'none'; object-src 'none'",
      });
    }
  }
  const attachment = url.pathname.match(/^\/attachments\/([^/]+)\/(\d+)$/);
  if (attachment) {
    const id = decoded(attachment[1]);
    const file = id === undefined
      ? undefined
      : attachmentFile(sources.emails(), id, +attachment[2]);
    if (file) return file;
  }
  const upload = url.pathname.match(/^\/uploads\/([^/]+)\/(.+)$/);
  if (upload) {
    const bucket = decoded(upload[1]);
    const segments = upload[2].split("/").map(decoded);
    const o = bucket === undefined || segments.includes(undefined)
      ? undefined
      : sources.object(bucket, segments.join("/"));
    // An uploaded file may be HTML; the sandbox keeps it from scripting the inbox.
    if (o) {
      return new Response(o.bytes, {
        headers: { "content-type": o.content_type, "content-security-policy": "sandbox" },
      });
    }
  }
  return new Response("Not found", { status: 404 });
}
