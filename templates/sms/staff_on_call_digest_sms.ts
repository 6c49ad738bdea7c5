/**
 * The digest text: the pages the on-call phone's hourly cap held back, in one text. Says how
 * many and of what, names their Refs (as many as fit), and that every lead is in email.
 */
import type { HeldBackPage } from "../../shared/notify_lead/paging.ts";
import { STAFF_SMS_SEGMENTS } from "./fit.ts";
import { smsCost } from "./segments.ts";

function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * e.g. `HELD BACK: 19 more high-priority leads (texts pause at 6 an hour). Refs PAG-261125-0042,
 * PAG-261125-0043, … Every lead is in your email and the dashboard.`
 */
export function staffOnCallDigestSms(heldBack: readonly HeldBackPage[], hourlyCap: number): string {
  const leads = heldBack.filter((p) => p.why === "high_priority").length;
  const escalations = heldBack.length - leads;
  const what = [
    leads > 0 ? counted(leads, "high-priority lead", "high-priority leads") : null,
    escalations > 0 ? counted(escalations, "escalation", "escalations") : null,
  ].filter((part) => part !== null)
    // "17 more high-priority leads and 2 escalations", "2 more escalations".
    .map((part, i) => i === 0 ? part.replace(/^(\d+) /, "$1 more ") : part)
    .join(" and ");
  const refs = heldBack.map((p) => p.reference);
  const body = (shown: number) =>
    [
      `HELD BACK: ${what} (texts pause at ${hourlyCap} an hour).`,
      `Refs ${refs.slice(0, shown).join(", ")}${
        shown < refs.length ? ` and ${refs.length - shown} more` : ""
      }.`,
      "Every lead is in your email and the dashboard.",
    ].join("\n");
  let shown = refs.length;
  while (shown > 1 && smsCost(body(shown)).segments > STAFF_SMS_SEGMENTS) shown--;
  return body(shown);
}
