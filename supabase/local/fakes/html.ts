/** Small HTML helpers for the inbox page. */

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  )
    .replace(/'/g, "&#39;");
}

/** An ISO instant as a `<time>` element, shown as `2026-11-25 17:00:00 UTC`. */
export function timeTag(iso: string): string {
  return `<time datetime="${escapeHtml(iso)}">${
    escapeHtml(iso.replace("T", " ").slice(0, 19))
  } UTC</time>`;
}
