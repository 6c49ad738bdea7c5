/**
 * The staff digest as decisions: which new-lead alert emails go and which are gathered, into
 * which digest and until when, and the digest email's words.
 */
import assert from "node:assert/strict";
import {
  type GatheredLead,
  gatherStaffAlerts,
  type RecipientWindow,
  type StaffDigestFacts,
} from "../../shared/notify_lead/staff_digest.ts";
import type { NewOutboxRow } from "../../shared/outbox/store.ts";
import { CATALOG } from "../../shared/messages/catalog.ts";
import type { DigestEntry, RenderContext } from "../../shared/messages/render.ts";
import type { EmailMessage } from "../../shared/channels/email.ts";
import { staffDigestSubject } from "../../templates/email/staff_digest_email.tsx";
import { makeLead, makeSettings } from "./_fixtures.ts";

const MARCO = "marco@pinkautoglass.com";
const DANA = "dana@pinkautoglass.com";
const now = new Date("2026-11-25T16:31:00Z");
const tenMinutesOn = new Date("2026-11-25T16:41:00Z");

function alert(n: number, recipient = MARCO): NewOutboxRow {
  return {
    key: `lead-${n}:staff_new_lead_email`,
    lead_id: `lead-${n}`,
    channel: "email",
    template: "staff_new_lead_email",
    recipient,
    status: "pending",
    status_reason: null,
    rank: 1,
    next_attempt_at: null,
  };
}

function otherRow(n: number, template: string, recipient: string): NewOutboxRow {
  return { ...alert(n), key: `lead-${n}:${template}`, template, recipient, channel: "sms" };
}

const references = new Map(
  Array.from({ length: 20 }, (_, i) => [`lead-${i}`, `PAG-261125-${String(i).padStart(4, "0")}`]),
);

function facts(
  windows: Record<string, Partial<RecipientWindow>> = {},
  overrides: Partial<StaffDigestFacts> = {},
): StaffDigestFacts {
  return {
    perWindow: 5,
    windowMinutes: 10,
    windows: new Map(
      Object.entries(windows).map((
        [to, w],
      ) => [to, { alertsInWindow: 0, waitingDigest: null, ...w }]),
    ),
    now,
    ...overrides,
  };
}

const alertsOf = (rows: NewOutboxRow[]) =>
  rows.filter((r) => r.template === "staff_new_lead_email");
const digestsOf = (rows: NewOutboxRow[]) => rows.filter((r) => r.template === "staff_digest_email");

Deno.test("gatherStaffAlerts() sends 5 alerts and gathers the other 7 of 12 into one digest", () => {
  const { rows, joinDigest } = gatherStaffAlerts(
    Array.from({ length: 12 }, (_, i) => alert(i)),
    references,
    facts(),
  );
  const alerts = alertsOf(rows);
  assert.deepEqual(alerts.slice(0, 5).map((r) => r.status), Array(5).fill("pending"));
  const held = alerts.slice(5);
  assert.equal(held.length, 7);
  for (const row of held) {
    assert.equal(row.status, "suppressed");
    assert.equal(row.status_reason, "in_staff_digest (5 per 10 minutes)");
    assert.equal(row.payload?.staff_digest, "lead-5:staff_digest_email");
  }
  const [digest, ...more] = digestsOf(rows);
  assert.equal(more.length, 0, "one digest");
  assert.equal(digest.key, "lead-5:staff_digest_email", "keyed to the first lead it gathers");
  assert.equal(digest.lead_id, "lead-5");
  assert.equal(digest.recipient, MARCO);
  assert.equal(digest.status, "deferred");
  assert.equal(digest.status_reason, "staff_digest_window");
  assert.deepEqual(digest.next_attempt_at, tenMinutesOn, "due when the window has passed");
  assert.deepEqual(
    (digest.payload?.gathered as GatheredLead[]).map((g) => g.reference),
    Array.from({ length: 7 }, (_, i) => `PAG-261125-${String(i + 5).padStart(4, "0")}`),
  );
  assert.equal(digest.payload?.window_minutes, 10);
  assert.equal(joinDigest.size, 0);
});

Deno.test("gatherStaffAlerts() counts each recipient's own window", async (t) => {
  const cases: {
    name: string;
    rows: NewOutboxRow[];
    windows: Record<string, Partial<RecipientWindow>>;
    perWindow?: number;
    sent: string[];
    gathered: string[];
    newDigest: string | null;
    joined: Record<string, string[]>;
  }[] = [
    {
      name: "under the limit, every alert goes",
      rows: [alert(1), alert(2)],
      windows: { [MARCO]: { alertsInWindow: 3 } },
      sent: ["lead-1", "lead-2"],
      gathered: [],
      newDigest: null,
      joined: {},
    },
    {
      name: "the window's earlier alerts count: 4 sent, one more goes, the next is gathered",
      rows: [alert(1), alert(2)],
      windows: { [MARCO]: { alertsInWindow: 4 } },
      sent: ["lead-1"],
      gathered: ["lead-2"],
      newDigest: "lead-2:staff_digest_email",
      joined: {},
    },
    {
      name: "with a digest waiting, gathered alerts join it and no second one is planned",
      rows: [alert(1), alert(2)],
      windows: {
        [MARCO]: { alertsInWindow: 5, waitingDigest: { key: "lead-0:staff_digest_email" } },
      },
      sent: [],
      gathered: ["lead-1", "lead-2"],
      newDigest: null,
      joined: { "lead-0:staff_digest_email": ["PAG-261125-0001", "PAG-261125-0002"] },
    },
    {
      name: "two staff members: one in a burst, the other's alert goes",
      rows: [alert(1), alert(2, DANA)],
      windows: { [MARCO]: { alertsInWindow: 5 } },
      sent: ["lead-2"],
      gathered: ["lead-1"],
      newDigest: "lead-1:staff_digest_email",
      joined: {},
    },
    {
      name: "a limit of 1",
      rows: [alert(1), alert(2), alert(3)],
      windows: {},
      perWindow: 1,
      sent: ["lead-1"],
      gathered: ["lead-2", "lead-3"],
      newDigest: "lead-2:staff_digest_email",
      joined: {},
    },
    {
      name: "an alert suppressed for another reason neither counts nor is gathered",
      rows: [
        { ...alert(1), status: "suppressed", status_reason: "email_bounced" },
        alert(2),
      ],
      windows: { [MARCO]: { alertsInWindow: 4 } },
      sent: ["lead-2"],
      gathered: [],
      newDigest: null,
      joined: {},
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { rows, joinDigest } = gatherStaffAlerts(
        c.rows,
        references,
        facts(c.windows, { perWindow: c.perWindow ?? 5 }),
      );
      const alerts = alertsOf(rows);
      assert.deepEqual(
        alerts.filter((r) => r.status === "pending").map((r) => r.lead_id),
        c.sent,
      );
      assert.deepEqual(
        alerts.filter((r) => r.payload?.staff_digest).map((r) => r.lead_id),
        c.gathered,
      );
      assert.deepEqual(digestsOf(rows).map((r) => r.key), c.newDigest ? [c.newDigest] : []);
      assert.deepEqual(
        Object.fromEntries([...joinDigest].map(([k, v]) => [k, v.map((g) => g.reference)])),
        c.joined,
      );
    });
  }
});

Deno.test("gatherStaffAlerts() never holds back on-call texts, escalations or other kinds", () => {
  const others = [
    otherRow(1, "staff_on_call_sms", "+17205550101"),
    { ...otherRow(2, "staff_escalation_email", MARCO), channel: "email" as const },
    otherRow(3, "staff_escalation_sms", "+17205550101"),
    {
      ...otherRow(4, "customer_confirmation_email", "jane@example.com"),
      channel: "email" as const,
    },
  ];
  const { rows } = gatherStaffAlerts(
    others,
    references,
    facts({ [MARCO]: { alertsInWindow: 99 } }),
  );
  assert.deepEqual(rows, others);
});

Deno.test("gatherStaffAlerts() takes its time from the clock it is given", () => {
  const at = new Date("2027-03-14T08:59:30Z"); // a DST morning in Denver: minutes are minutes
  const { rows } = gatherStaffAlerts(
    [alert(1)],
    references,
    facts({ [MARCO]: { alertsInWindow: 5 } }, { now: at, windowMinutes: 15 }),
  );
  assert.deepEqual(digestsOf(rows)[0].next_attempt_at, new Date("2027-03-14T09:14:30Z"));
  assert.equal(
    alertsOf(rows)[0].status_reason,
    "in_staff_digest (5 per 15 minutes)",
  );
});

function entry(n: number, priority: "high" | "normal", overrides = {}): DigestEntry {
  const reference = `PAG-261125-00${10 + n}`;
  return {
    reference,
    lead: makeLead({
      id: `00000000-0000-4000-8000-0000000000${10 + n}`,
      reference_number: reference,
      first_name: `Customer${n}`,
      phone_e164: `+172055501${10 + n}`,
      ...overrides,
    }),
    priority,
    links: {
      claim: `https://x.supabase.co/functions/v1/lead-action?t=claim${n}`,
      called: `https://x.supabase.co/functions/v1/lead-action?t=called${n}`,
    },
  };
}

Deno.test("staffDigestSubject() counts the leads and the high-priority ones", async (t) => {
  const cases: [DigestEntry[], number, string][] = [
    [
      [entry(1, "normal"), entry(2, "high"), ...[3, 4, 5, 6, 7].map((n) => entry(n, "normal"))],
      10,
      "🚨 7 new leads in the last 10 minutes (1 high priority)",
    ],
    [[entry(1, "normal"), entry(2, "normal")], 10, "2 new leads in the last 10 minutes"],
    [[entry(1, "normal")], 1, "1 new lead in the last 1 minute"],
  ];
  for (const [leads, minutes, subject] of cases) {
    await t.step(subject, () => assert.equal(staffDigestSubject(leads, minutes), subject));
  }
});

Deno.test("the digest email lists each lead with its priority, call button and links", async () => {
  const leads = [
    entry(1, "normal"),
    entry(2, "high"),
    entry(3, "normal", { phone_e164: null }),
    { reference: "PAG-261125-0099", lead: null, priority: "normal" as const },
  ];
  const ctx: RenderContext = {
    lead: leads[0].lead!,
    settings: makeSettings(),
    recipient: MARCO,
    photoUrls: [],
    priority: "normal",
    setup: { adminEmail: "admin@pinkautoglass.com" },
    now,
    staffDigest: { leads, windowMinutes: 10 },
  };
  const email = await CATALOG.staff_digest_email.render(ctx) as EmailMessage;
  assert.equal(email.to, MARCO);
  assert.deepEqual(email.cc, ["admin@pinkautoglass.com"], "copied like the alerts");
  assert.equal(email.subject, "🚨 4 new leads in the last 10 minutes (1 high priority)");
  for (const n of [1, 2, 3]) {
    assert.ok(email.html.includes(`PAG-261125-00${10 + n}`), `names lead ${n}`);
    assert.ok(email.html.includes(`t=claim${n}`), `lead ${n}'s "I'm on it" link`);
    assert.ok(email.html.includes(`t=called${n}`), `lead ${n}'s "I called them" link`);
  }
  assert.ok(email.html.includes('href="tel:+17205550111"'), "a call button");
  assert.ok(email.html.includes('href="tel:+17205550112"'));
  assert.ok(!email.html.includes("tel:+17205550113"), "no call button without a phone");
  assert.match(email.text, /Ref PAG-261125-0099: no longer on file/);
  const high = email.text.indexOf("HIGH PRIORITY: Customer2");
  const normal = email.text.indexOf("Normal priority: Customer1");
  assert.ok(high >= 0 && normal > high, "the high-priority lead first");
});

Deno.test("the digest refuses to render with no lead to name", async () => {
  const ctx: RenderContext = {
    lead: makeLead(),
    settings: makeSettings(),
    recipient: MARCO,
    photoUrls: [],
    priority: "normal",
    setup: { adminEmail: "admin@pinkautoglass.com" },
    now,
  };
  await assert.rejects(
    async () => await CATALOG.staff_digest_email.render(ctx),
    /the digest names no lead/,
  );
});
