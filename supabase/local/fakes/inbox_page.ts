/**
 * The inbox: one page listing what the fakes accepted (emails, SMS, uploads, webhook
 * deliveries), newest first, like Supabase's local mail catcher. SMS show as conversations:
 * per customer phone, our texts and the customer's replies as bubbles, with each outgoing
 * text's delivery status. `GET /` is the page, `GET /api` the same as JSON,
 * `GET /uploads/<bucket>/<path>` an uploaded object (so photos show on the page),
 * `GET /attachments/<email id>/<n>` an email's attachment (inbox_email.ts). The page
 * masks a webhook's bearer token (it may be on a shared screen); `/api`, like the webhook
 * fake's `/__fake/messages`, lists deliveries as received.
 */
import type { FakeEmail } from "./resend_fake.ts";
import { escapeHtml, timeTag } from "./html.ts";
import { attachmentFile, emailCard } from "./inbox_email.ts";
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

function bubble(m: FakeConversationMessage): string {
  const ours = m.direction !== "inbound";
  const status = ours
    ? `<span class="status ${escapeHtml(m.status)}">${escapeHtml(m.status)}${
      m.error_code === null ? "" : ` · error ${m.error_code}`
    }</span>`
    : "";
  const classes = ["msg", ours ? "ours" : "theirs", m.auto_reply ? "auto" : ""].filter(Boolean);
  return `<div class="${classes.join(" ")}">
    ${m.body ? `<div class="bubble">${escapeHtml(m.body)}</div>` : ""}
    ${m.media.map(mediaLink).join(" ")}
    <div class="meta">${escapeHtml(label(m))} ${status} ${timeTag(m.date_created)}</div>
  </div>`;
}

function conversationCard(c: FakeConversation): string {
  return `<article class="card sms">
  <header><strong>${escapeHtml(c.phone)}</strong> <small>(${c.messages.length})</small></header>
  <div class="thread">
  ${c.messages.map(bubble).join("\n  ")}
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

function section(title: string, cards: string[], empty: string): string {
  return `<section><h2>${title} <small>(${cards.length})</small></h2>${
    cards.length ? cards.join("\n") : `<p class="empty">${empty}</p>`
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

/** The inbox page. It reloads itself when the fakes receive something new. */
export function renderInbox(snapshot: InboxSnapshot): string {
  const texts = snapshot.conversations.reduce((n, c) => n + c.messages.length, 0);
  const count = snapshot.emails.length + texts + snapshot.uploads.length +
    snapshot.webhooks.length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>leadwire inbox (${count})</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1c1e21; }
  h1 { margin: 0; padding: 12px 20px; background: #1f2937; color: #fff; font-size: 18px; }
  main { display: grid; grid-template-columns: 2fr 1.5fr 1fr 1fr; gap: 16px; padding: 16px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .card { background: #fff; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; box-shadow: 0 1px 2px #0002; }
  .meta { color: #5f6368; font-size: 12px; margin: 2px 0; word-break: break-all; }
  iframe { width: 100%; height: 360px; border: 1px solid #e0e0e0; border-radius: 4px; margin-top: 6px; background: #fff; }
  .thread { display: flex; flex-direction: column; gap: 4px; }
  .msg { max-width: 85%; }
  .msg.ours { align-self: flex-end; text-align: right; }
  .msg.theirs { align-self: flex-start; }
  .bubble { border-radius: 16px; padding: 8px 12px; margin: 6px 0 2px; white-space: pre-wrap; word-break: break-word; text-align: left; }
  .ours .bubble { background: #34c759; color: #fff; border-bottom-right-radius: 4px; }
  .theirs .bubble { background: #e5e5ea; color: #1c1e21; border-bottom-left-radius: 4px; }
  .auto .bubble { background: #8e8e93; }
  .msg .meta time { float: none; margin-left: 4px; }
  .status.delivered { color: #1e8e3e; }
  .status.undelivered, .status.failed { color: #d93025; font-weight: 600; }
  .media { display: inline-block; font-size: 12px; margin: 2px 0; }
  .webhook pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; margin: 6px 0 0; }
  .attachments { margin: 6px 0; padding-left: 4px; list-style: none; }
  .attachments pre { white-space: pre-wrap; font-size: 12px; margin: 2px 0 4px 20px; }
  img { max-width: 100%; border-radius: 4px; margin-top: 6px; }
  .empty { color: #888; }
  time { float: right; color: #888; font-size: 12px; }
</style>
</head>
<body>
<h1>leadwire inbox · what the local fakes received</h1>
<main>
${section("Emails", snapshot.emails.map(emailCard), "No email yet.")}
${section("SMS", snapshot.conversations.map(conversationCard), "No SMS yet.")}
${section("Uploads", snapshot.uploads.map(uploadCard), "No upload yet.")}
${section("Webhooks", snapshot.webhooks.map(webhookCard), "No webhook yet.")}
</main>
<script>
  const seen = ${JSON.stringify(inboxFingerprint(snapshot)).replace(/</g, "\\u003c")};
  setInterval(async () => {
    const s = await fetch("/api").then((r) => r.json()).catch(() => null);
    if (!s) return;
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

/** Answers the inbox port's requests. */
export function handleInbox(req: Request, sources: InboxSources): Response {
  const url = new URL(req.url);
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Method not allowed", { status: 405 });
  }
  if (url.pathname === "/") {
    return new Response(renderInbox(inboxSnapshot(sources)), {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
  if (url.pathname === "/api") return Response.json(inboxSnapshot(sources));
  const attachment = url.pathname.match(/^\/attachments\/([^/]+)\/(\d+)$/);
  if (attachment) {
    const file = attachmentFile(
      sources.emails(),
      decodeURIComponent(attachment[1]),
      +attachment[2],
    );
    if (file) return file;
  }
  const upload = url.pathname.match(/^\/uploads\/([^/]+)\/(.+)$/);
  if (upload) {
    const path = upload[2].split("/").map(decodeURIComponent).join("/");
    const o = sources.object(decodeURIComponent(upload[1]), path);
    // An uploaded file may be HTML; the sandbox keeps it from scripting the inbox.
    if (o) {
      return new Response(o.bytes, {
        headers: { "content-type": o.content_type, "content-security-policy": "sandbox" },
      });
    }
  }
  return new Response("Not found", { status: 404 });
}
