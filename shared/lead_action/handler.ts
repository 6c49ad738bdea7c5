/**
 * lead-action's request handling: a staff member taps "I'm on it" (or "I called them") in an
 * alert, and the action is recorded on the lead in their name, once. The link is the only
 * credential: its signature and expiry are checked before anything is read, and a link acts
 * once (its id is kept on the activity it wrote, under a unique index). Staff read the answer
 * on a phone, so every answer is a small page. Mail security scanners and link previews open
 * links before a person does: opening one (GET, HEAD) only shows a page with one button, and
 * only that button's POST records.
 *
 *   GET, HEAD /lead-action?t=<token>  the button; records nothing (forged 403, expired 410)
 *   POST      /lead-action?t=<token>  records the action → 200; forged 403, expired 410,
 *                                     reused 409, lead gone 404
 */
import type postgres from "postgres";
import { type ActionClaims, type LeadAction, verifyActionToken } from "../leads/action_links.ts";
import { maskPII } from "../platform/mask.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";

export interface LeadActionDeps {
  sql: postgres.Sql;
  /**
   * `LEAD_ACTION_SECRET`: the key the links are signed with, and during a rotation
   * `LEAD_ACTION_SECRET_PREVIOUS`, so links already sent work until they expire.
   */
  secret: VerifyingSecret;
  /** The moment links are checked at. Default: the system clock. */
  clock?: () => Date;
  /**
   * How pages are written: "html" (a page with the button) where the links' domain serves
   * HTML, "text" where Supabase would serve it as plain text. Default "html".
   */
  pages?: PageFormat;
}

/** How lead-action's answers are written: HTML with a button, or plain text. */
export type PageFormat = "html" | "text";

/**
 * "text" when the links point at a Supabase domain (`<ref>.supabase.co`, where a GET's
 * text/html is served as text/plain: Supabase's Edge Functions limits), else "html" (a custom
 * domain in PUBLIC_FUNCTIONS_URL, the local stack).
 */
export function pageFormatFor(functionsUrl: string): PageFormat {
  const host = new URL(functionsUrl).hostname;
  return host === "supabase.co" || host.endsWith(".supabase.co") ? "text" : "html";
}

const ACTION_WORDS: Record<LeadAction, { done: string; activity: string; button: string }> = {
  lead_claimed: { done: "You're on it", activity: "is on it", button: "I'm on it" },
  call_made: { done: "Call recorded", activity: "called the customer", button: "I called them" },
};

/** What recording a link's action came to. */
type Recorded =
  | { kind: "recorded"; reference: string; name: string; by: string }
  | { kind: "reused"; reference: string; at: Date; by: string }
  | { kind: "no_lead" };

async function record(sql: postgres.Sql, claims: ActionClaims): Promise<Recorded> {
  return await sql.begin(async (tx) => {
    const [lead] = await tx<{ reference_number: string; first_name: string }[]>`
      select reference_number, first_name from public.leads where id = ${claims.leadId}`;
    if (!lead) return { kind: "no_lead" } as const;
    const [staff] = claims.staffId
      ? await tx<{ full_name: string }[]>`
          select full_name from public.staff_members where id = ${claims.staffId}`
      : [];
    const by = staff?.full_name ?? "the admin inbox";
    const inserted = await tx`
      insert into public.lead_activities (lead_id, activity_type, description, metadata, created_by)
      values (${claims.leadId}, ${claims.action},
        ${`${by} ${ACTION_WORDS[claims.action].activity} (alert link)`},
        ${tx.json({ action_link_id: claims.id, staff_id: claims.staffId, via: "alert_link" })},
        ${by})
      on conflict ((metadata ->> 'action_link_id')) where metadata ? 'action_link_id'
      do nothing
      returning id`;
    if (inserted.length > 0) {
      return { kind: "recorded", reference: lead.reference_number, name: lead.first_name, by };
    }
    const [earlier] = await tx<{ created_at: Date; created_by: string }[]>`
      select created_at, created_by from public.lead_activities
      where metadata ->> 'action_link_id' = ${claims.id}`;
    return {
      kind: "reused",
      reference: lead.reference_number,
      at: earlier.created_at,
      by: earlier.created_by,
    } as const;
  }) as Recorded;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/**
 * What every page sends: no script, style only inline, its one form posting back here, never
 * framed, and the link (the credential) never passed on as a referrer.
 */
const PAGE_SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
} as const;

interface Page {
  status: number;
  title: string;
  message: string;
  /** The button's words, on the page that offers one. */
  button?: string;
}

function htmlPage(p: Page): string {
  // An empty action posts to this very URL, the link's token with it.
  const form = p.button
    ? `<form method="post" action=""><button type="submit">${escapeHtml(p.button)}</button></form>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${
    escapeHtml(p.title)
  }</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}button{font-size:1.2rem;padding:.8rem 1.6rem;border-radius:.5rem;border:0;background:#d6336c;color:#fff}</style></head>
<body><h1>${escapeHtml(p.title)}</h1><p>${escapeHtml(p.message)}</p>${form}</body></html>`;
}

/** The same page as a phone shows a text/plain answer: the title, a blank line, the message. */
function textPage(p: Page): string {
  return `${p.title}\n\n${p.message}\n`;
}

function respond(format: PageFormat, method: string, p: Page): Response {
  const body = format === "html" ? htmlPage(p) : textPage(p);
  return new Response(method === "HEAD" ? null : body, {
    status: p.status,
    headers: {
      "content-type": format === "html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
      "cache-control": "no-store",
      // A browser must not read markup into a text answer, nor guess another type.
      "x-content-type-options": "nosniff",
      ...PAGE_SECURITY_HEADERS,
    },
  });
}

export function createLeadActionHandler(deps: LeadActionDeps): (req: Request) => Promise<Response> {
  const clock = deps.clock ?? (() => new Date());
  const format = deps.pages ?? "html";
  return async (req: Request) => {
    const method = req.method;
    const page = (status: number, title: string, message: string, button?: string) =>
      respond(format, method, { status, title, message, button });
    // The signed link first, as every function checks its caller first: a stranger learns
    // nothing (not even the methods this takes), and no body is ever read.
    await req.body?.cancel();
    const token = new URL(req.url).searchParams.get("t") ?? "";
    const check = await verifyActionToken(token, deps.secret, clock());
    if (!check.ok) {
      return check.reason === "expired"
        ? page(
          410,
          "This link has expired",
          "Nothing was recorded. Call the customer from the lead in the dashboard.",
        )
        : page(
          403,
          "This link is not valid",
          "Nothing was recorded. Use the link exactly as it came in the alert.",
        );
    }
    const words = ACTION_WORDS[check.claims.action];
    if (method === "GET" || method === "HEAD") {
      // Opening the link records nothing: a scanner or a preview may be the one opening it.
      return format === "html"
        ? page(
          200,
          words.button,
          "Tap the button to record it on the lead (this stops its escalation).",
          words.button,
        )
        : page(
          200,
          `${words.button}: not recorded`,
          "Opening this link records nothing (mail scanners open links too), and this address " +
            "cannot show the button that records it: Supabase shows its pages as plain text. " +
            "Call the customer from the alert; the lead is escalated as usual unless someone " +
            "records it. Admin: give the functions a custom domain (PUBLIC_FUNCTIONS_URL) and " +
            "the button appears here.",
        );
    }
    if (method !== "POST") {
      return respond(format, "GET", {
        status: 405,
        title: "Not here",
        message: "Open the link from the alert instead.",
      });
    }
    try {
      const done = await record(deps.sql, check.claims);
      if (done.kind === "no_lead") {
        return page(404, "This lead no longer exists", "Nothing was recorded.");
      }
      if (done.kind === "reused") {
        return page(
          409,
          "Already recorded",
          `This link was used ${
            done.at.toISOString().replace("T", " ").slice(0, 16)
          } UTC by ${done.by} for ${done.reference}. Nothing more was recorded.`,
        );
      }
      return page(
        200,
        words.done,
        `Recorded for ${done.reference} (${done.name}) as ${done.by}. The lead will not be escalated.`,
      );
    } catch (err) {
      console.error(maskPII(`lead-action failed: ${(err as Error).stack ?? err}`));
      return page(
        503,
        "Not recorded",
        "Something went wrong on our side. Try the link again in a minute.",
      );
    }
  };
}
