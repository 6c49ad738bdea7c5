/**
 * An email on the inbox page: who it went to, its HTML in a sandboxed frame, its text part, and
 * its attachments (name, type, size, a link to the file; a calendar invite also shows the lines
 * a person checks: METHOD, SUMMARY, DTSTART…). `GET /emails/<id>` shows one email alone,
 * `GET /attachments/<email id>/<n>` serves a file.
 */
import type { FakeAttachment, FakeEmail } from "./resend_fake.ts";
import { baseStyle, escapeHtml, timeTag } from "./html.ts";

/** The lines of an invite worth reading on the page. */
const inviteLine = /^(METHOD|SUMMARY|DTSTART|DTEND|LOCATION|STATUS|SEQUENCE)[;:]/;

function bytesOf(a: FakeAttachment): Uint8Array<ArrayBuffer> | null {
  return a.path !== null ? null : Uint8Array.from(atob(a.content), (c) => c.charCodeAt(0));
}

/** A calendar invite's key lines (unfolded), or none for any other file. */
export function invitePreview(a: FakeAttachment): string[] {
  const bytes = bytesOf(a);
  const calendar = a.content_type.toLowerCase().startsWith("text/calendar") ||
    a.filename.toLowerCase().endsWith(".ics");
  if (!bytes || !calendar) return [];
  let inZone = false;
  return new TextDecoder().decode(bytes).replace(/\r?\n[ \t]/g, "").split(/\r?\n/)
    .filter((line) => {
      // A VTIMEZONE's own DTSTARTs are its rules' starts, not the appointment's.
      if (/^(BEGIN|END):VTIMEZONE$/.test(line)) inZone = line.startsWith("BEGIN");
      return !inZone && inviteLine.test(line);
    });
}

function attachmentItem(e: FakeEmail, a: FakeAttachment, index: number): string {
  const href = `/attachments/${encodeURIComponent(e.id)}/${index}`;
  const name = a.path !== null
    ? `${escapeHtml(a.filename)} (Resend would fetch ${escapeHtml(a.path)})`
    : `<a href="${escapeHtml(href)}" download="${escapeHtml(a.filename)}">${
      escapeHtml(a.filename)
    }</a>`;
  const size = a.size === null ? "" : ` · ${a.size} bytes`;
  const preview = invitePreview(a);
  return `<li>📎 ${name} <span class="meta">${escapeHtml(a.content_type)}${size}</span>${
    preview.length ? `<pre>${escapeHtml(preview.join("\n"))}</pre>` : ""
  }</li>`;
}

export interface EmailViewOptions {
  /** The Ref the inbox is filtered by, kept in links back to it. Default: none. */
  ref?: string;
}

/** `/emails/<id>`, keeping the inbox's filter for the way back. */
function emailHref(e: Pick<FakeEmail, "id">, opts: EmailViewOptions = {}): string {
  return `/emails/${encodeURIComponent(e.id)}${
    opts.ref ? `?ref=${encodeURIComponent(opts.ref)}` : ""
  }`;
}

/**
 * The email as the customer's mail client shows it. No scripts run in the frame (lead data is
 * hostile) and it cannot reach the inbox; a link opens in a new tab, as in a mail client, so the
 * "I'm on it" links of staff alerts can be followed.
 */
function frame(e: FakeEmail, opts: { lazy: boolean }): string {
  const body = e.html ??
    `<pre style="white-space:pre-wrap;font:14px system-ui">${escapeHtml(e.text ?? "")}</pre>`;
  return `<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"${
    opts.lazy ? ` loading="lazy"` : ""
  } title="${escapeHtml(e.subject)}" srcdoc="${escapeHtml(body)}"></iframe>`;
}

/** The plain-text alternative, which mail clients without HTML show. */
function textPart(e: FakeEmail, opts: { open: boolean }): string {
  if (e.html === null) return `<div class="meta">text only, no HTML part</div>`;
  if (!e.text) return `<div class="meta">no text part</div>`;
  return `<details class="text-part"${opts.open ? " open" : ""}><summary>Text part</summary><pre>${
    escapeHtml(e.text)
  }</pre></details>`;
}

/** Sender, recipients, headers and attachments: what the card and the opened email share. */
function details(e: FakeEmail): string {
  const recipients = [
    escapeHtml(e.to.join(", ")),
    e.cc?.length ? `cc ${escapeHtml(e.cc.join(", "))}` : "",
    e.bcc?.length ? `bcc ${escapeHtml(e.bcc.join(", "))}` : "",
  ].filter(Boolean).join(" · ");
  const extra = [
    e.reply_to ? `reply-to ${escapeHtml(e.reply_to.join(", "))}` : "",
    e.idempotency_key ? `idempotency key <code>${escapeHtml(e.idempotency_key)}</code>` : "",
    e.headers
      ? Object.entries(e.headers).map(([k, v]) => `<code>${escapeHtml(k)}: ${escapeHtml(v)}</code>`)
        .join(" ")
      : "",
  ].filter(Boolean).join(" · ");
  const attachments = e.attachments?.length
    ? `<ul class="attachments">${
      e.attachments.map((a, i) => attachmentItem(e, a, i)).join("\n")
    }</ul>`
    : "";
  // What the fake Resend posted to resend-events about it, as Resend's webhooks would.
  const events = e.events.length
    ? `<div class="meta">webhook events: ${
      e.events.map((ev) =>
        `<span class="status ${escapeHtml(ev.type.replace(/^email\./, ""))}">${
          escapeHtml(ev.type.replace(/^email\./, ""))
        }</span>${ev.answer === 200 ? "" : ` (answered ${ev.answer ?? "nothing"})`}`
      ).join(" → ")
    }</div>`
    : "";
  return `<div class="meta">from ${escapeHtml(e.from)} → ${recipients}${e.batch ? " · batch" : ""}${
    // The fake SendGrid's emails sit beside Resend's: which provider took it is what a reader
    // of a failover looks for.
    (e as { provider?: string }).provider === "sendgrid" ? " · via SendGrid" : ""}</div>
  ${extra ? `<div class="meta">${extra}</div>` : ""}
  ${events}
  ${attachments}`;
}

/** An email in the inbox's list: its subject opens it alone (`/emails/<id>`). */
export function emailCard(e: FakeEmail, opts: EmailViewOptions = {}): string {
  return `<article class="card email">
  <header><a class="subject" href="${escapeHtml(emailHref(e, opts))}">${
    escapeHtml(e.subject)
  }</a> ${timeTag(e.created_at)}</header>
  ${details(e)}
  ${frame(e, { lazy: true })}
  ${textPart(e, { open: false })}
</article>`;
}

/** `GET /emails/<id>`: one email alone, its frame as tall as the window, its text part open. */
export function renderEmailPage(e: FakeEmail, opts: EmailViewOptions = {}): string {
  const back = opts.ref ? `/?ref=${encodeURIComponent(opts.ref)}` : "/";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(e.subject)} · leadwire inbox</title>
<style>${baseStyle}
  main { max-width: 960px; margin: 16px auto; padding: 0 16px; }
  iframe { height: calc(100vh - 220px); min-height: 480px; }
</style>
</head>
<body>
<header class="bar"><h1>leadwire inbox</h1><a href="${escapeHtml(back)}">← back to the inbox${
    opts.ref ? ` (Ref ${escapeHtml(opts.ref)})` : ""
  }</a></header>
<main>
<article class="card email opened">
  <h2>${escapeHtml(e.subject)} ${timeTag(e.created_at)}</h2>
  ${details(e)}
  ${frame(e, { lazy: false })}
  ${textPart(e, { open: true })}
</article>
</main>
</body>
</html>`;
}

/** The file of `GET /attachments/<email id>/<n>`, as it was sent; undefined if there is none. */
export function attachmentFile(
  emails: FakeEmail[],
  id: string,
  index: number,
): Response | undefined {
  const a = emails.find((e) => e.id === id)?.attachments?.[index];
  const bytes = a && bytesOf(a);
  if (!a || !bytes) return undefined;
  // The type and name came from a request body: only printable ASCII goes into a header.
  const type = /^[\x20-\x7e]+$/.test(a.content_type) ? a.content_type : "application/octet-stream";
  return new Response(bytes, {
    headers: {
      "content-type": type,
      "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
      // Like an upload, a file may be HTML; the sandbox keeps it from scripting the inbox.
      "content-security-policy": "sandbox",
    },
  });
}
