/**
 * An email on the inbox page: who it went to, its HTML in a sandboxed frame, and its
 * attachments (name, type, size, a link to the file; a calendar invite also shows the lines a
 * person checks: METHOD, SUMMARY, DTSTART…). `GET /attachments/<email id>/<n>` serves a file.
 */
import type { FakeAttachment, FakeEmail } from "./resend_fake.ts";
import { escapeHtml, timeTag } from "./html.ts";

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

export function emailCard(e: FakeEmail): string {
  const body = e.html ??
    `<pre style="white-space:pre-wrap;font:14px system-ui">${escapeHtml(e.text ?? "")}</pre>`;
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
  return `<article class="card email">
  <header><strong>${escapeHtml(e.subject)}</strong> ${timeTag(e.created_at)}</header>
  <div class="meta">from ${escapeHtml(e.from)} → ${escapeHtml(e.to.join(", "))}${
    e.batch ? " · batch" : ""
  }</div>
  ${extra ? `<div class="meta">${extra}</div>` : ""}
  ${attachments}
  <iframe sandbox title="${escapeHtml(e.subject)}" srcdoc="${escapeHtml(body)}"></iframe>
  ${
    e.text && e.html
      ? `<details><summary>plain text</summary><pre>${escapeHtml(e.text)}</pre></details>`
      : ""
  }
</article>`;
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
