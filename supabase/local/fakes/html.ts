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

/** The inbox's look, shared by the list (inbox_page.ts) and an opened email (inbox_email.ts). */
export const baseStyle = `
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1c1e21; }
  .bar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 20px; padding: 10px 20px; background: #1f2937; color: #fff; }
  .bar h1 { margin: 0; font-size: 18px; }
  .bar a { color: #93c5fd; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  .card { background: #fff; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; box-shadow: 0 1px 2px #0002; }
  .meta { color: #5f6368; font-size: 12px; margin: 2px 0; overflow-wrap: break-word; }
  iframe { width: 100%; height: 360px; border: 1px solid #e0e0e0; border-radius: 4px; margin-top: 6px; background: #fff; }
  .attachments { margin: 6px 0; padding-left: 4px; list-style: none; }
  .attachments pre { white-space: pre-wrap; font-size: 12px; margin: 2px 0 4px 20px; }
  .text-part pre { white-space: pre-wrap; word-break: break-word; font-size: 12px; background: #f8f9fa; padding: 8px; border-radius: 4px; }
  summary { cursor: pointer; color: #5f6368; font-size: 12px; margin-top: 6px; }
  .empty { color: #888; }
  time { float: right; color: #888; font-size: 12px; }
`;
