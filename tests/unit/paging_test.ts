/**
 * The on-call phone's paging limits as decisions: the hourly cap and its digest, staff quiet
 * hours against the shop's opening hours, and the digest's words.
 */
import assert from "node:assert/strict";
import {
  type HeldBackPage,
  limitPaging,
  type PagingFacts,
} from "../../shared/notify_lead/paging.ts";
import { quietUntil, type WeeklyHours } from "../../shared/leads/business_hours.ts";
import type { NewOutboxRow } from "../../shared/outbox/store.ts";
import { staffOnCallDigestSms } from "../../templates/sms/staff_on_call_digest_sms.ts";
import { smsCost } from "../../templates/sms/segments.ts";

const PHONE = "+17205550101";
const now = new Date("2026-11-25T11:10:00Z"); // Wed 04:10 in Denver

function page(n: number, template = "staff_on_call_sms"): NewOutboxRow {
  return {
    key: `lead-${n}:${template}`,
    lead_id: `lead-${n}`,
    channel: "sms",
    template,
    recipient: PHONE,
    status: "pending",
    status_reason: null,
    rank: 5,
    next_attempt_at: null,
  };
}

function email(n: number): NewOutboxRow {
  return {
    ...page(n),
    key: `lead-${n}:staff_new_lead_email`,
    template: "staff_new_lead_email",
    channel: "email",
    recipient: "admin@pinkautoglass.com",
  };
}

const references = new Map(
  Array.from({ length: 30 }, (_, i) => [`lead-${i}`, `PAG-261125-${String(i).padStart(4, "0")}`]),
);

function facts(overrides: Partial<PagingFacts> = {}): PagingFacts {
  return {
    phone: PHONE,
    cap: 6,
    pagedLastHour: 0,
    earliestInHour: null,
    waitingDigest: null,
    quietUntil: null,
    now,
    ...overrides,
  };
}

Deno.test("limitPaging() lets 6 pages an hour through and gathers the rest into one digest", () => {
  const rows = Array.from({ length: 25 }, (_, i) => [page(i), email(i)]).flat();
  const { rows: out, joinDigest } = limitPaging(rows, references, facts());
  const pages = out.filter((r) => r.template === "staff_on_call_sms");
  assert.equal(pages.filter((r) => r.status === "pending").length, 6);
  const held = pages.filter((r) => r.status === "suppressed");
  assert.equal(held.length, 19);
  assert.ok(held.every((r) => r.status_reason === "on_call_hourly_cap (6 per hour)"));
  assert.equal(
    out.filter((r) => r.template === "staff_new_lead_email").length,
    25,
    "every email goes",
  );
  assert.ok(out.filter((r) => r.channel === "email").every((r) => r.status === "pending"));
  const digests = out.filter((r) => r.template === "staff_on_call_digest_sms");
  assert.equal(digests.length, 1);
  assert.equal(digests[0].key, "lead-6:staff_on_call_digest_sms", "keyed to the first held back");
  assert.equal(digests[0].status, "deferred");
  assert.equal(
    digests[0].next_attempt_at?.toISOString(),
    "2026-11-25T12:10:00.000Z",
    "the hour has room",
  );
  assert.equal((digests[0].payload?.held_back as HeldBackPage[]).length, 19);
  assert.deepEqual(joinDigest, []);
});

Deno.test("limitPaging() decides by what the phone was paged in the last hour", async (t) => {
  const cases: {
    name: string;
    given: Partial<PagingFacts>;
    pages: NewOutboxRow[];
    sent: number;
    digestAt: string | null;
    joined: number;
  }[] = [
    {
      name: "under the cap: all go, no digest",
      given: { pagedLastHour: 3, earliestInHour: new Date("2026-11-25T10:40:00Z") },
      pages: [page(1), page(2), page(3)],
      sent: 3,
      digestAt: null,
      joined: 0,
    },
    {
      name: "at the cap: the digest waits an hour from the earliest page",
      given: { pagedLastHour: 6, earliestInHour: new Date("2026-11-25T10:40:00Z") },
      pages: [page(1), page(2)],
      sent: 0,
      digestAt: "2026-11-25T11:40:00.000Z",
      joined: 0,
    },
    {
      name: "a digest already waiting: the held-back pages join it",
      given: { pagedLastHour: 7, waitingDigest: { key: "lead-0:staff_on_call_digest_sms" } },
      pages: [page(1), page(2, "staff_escalation_sms")],
      sent: 0,
      digestAt: null,
      joined: 2,
    },
    {
      name: "escalation texts count toward the same cap",
      given: { pagedLastHour: 5 },
      pages: [page(1, "staff_escalation_sms"), page(2, "staff_escalation_sms")],
      sent: 1,
      digestAt: "2026-11-25T12:10:00.000Z",
      joined: 0,
    },
    {
      name: "a page already suppressed (no phone, say) is not counted",
      given: { pagedLastHour: 5 },
      pages: [{ ...page(1), status: "suppressed", status_reason: "x" }, page(2)],
      sent: 1,
      digestAt: null,
      joined: 0,
    },
    {
      name: "a text to another number is no page of this phone",
      given: { pagedLastHour: 6 },
      pages: [{ ...page(1), recipient: "+17205550199" }],
      sent: 1,
      digestAt: null,
      joined: 0,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { rows, joinDigest } = limitPaging(c.pages, references, facts(c.given));
      assert.equal(rows.filter((r) => r.status === "pending").length, c.sent);
      const digest = rows.find((r) => r.template === "staff_on_call_digest_sms");
      assert.equal(digest?.next_attempt_at?.toISOString() ?? null, c.digestAt);
      assert.equal(joinDigest.length, c.joined);
    });
  }
});

Deno.test("limitPaging() holds pages in the on-call person's quiet hours, the digest too", () => {
  const until = new Date("2026-11-25T14:00:00Z"); // 07:00 in Denver
  const { rows } = limitPaging(
    [page(1), page(2)],
    references,
    facts({ pagedLastHour: 5, quietUntil: until }),
  );
  assert.equal(rows[0].status, "deferred");
  assert.equal(rows[0].status_reason, "staff_quiet_hours");
  assert.equal(rows[0].next_attempt_at, until);
  assert.equal(rows[1].status, "suppressed");
  const digest = rows.find((r) => r.template === "staff_on_call_digest_sms");
  assert.equal(digest?.next_attempt_at?.toISOString(), until.toISOString(), "not before 07:00");
});

Deno.test("quietUntil() holds staff texts in quiet hours unless the shop is open", async (t) => {
  const quiet = { start: "21:00", end: "07:00", timeZone: "America/Denver" };
  const hours: WeeklyHours = {
    mon: { open: "08:00", close: "18:00" },
    tue: { open: "08:00", close: "18:00" },
    wed: { open: "08:00", close: "18:00" },
    thu: { open: "08:00", close: "18:00" },
    fri: { open: "08:00", close: "18:00" },
    sat: { open: "05:00", close: "12:00" },
  };
  const shop = { hours, timeZone: "America/Denver" };
  const cases: [string, string, typeof quiet | null, typeof shop, string | null][] = [
    ["no quiet hours", "2026-11-25T11:10:00Z", null, shop, null],
    [
      "04:10 Wed, closed: until 07:00",
      "2026-11-25T11:10:00Z",
      quiet,
      shop,
      "2026-11-25T14:00:00.000Z",
    ],
    [
      "22:30 Wed, closed: until 07:00 Thu",
      "2026-11-26T05:30:00Z",
      quiet,
      shop,
      "2026-11-26T14:00:00.000Z",
    ],
    ["12:00 Wed, outside quiet hours", "2026-11-25T19:00:00Z", quiet, shop, null],
    ["05:30 Sat, the shop open: goes", "2026-11-28T12:30:00Z", quiet, shop, null],
    [
      "04:10 Sat: until the opening at 05:00",
      "2026-11-28T11:10:00Z",
      quiet,
      shop,
      "2026-11-28T12:00:00.000Z",
    ],
    ["no shop hours kept: quiet hours hold", "2026-11-25T11:10:00Z", quiet, {
      ...shop,
      hours: null as unknown as WeeklyHours,
    }, "2026-11-25T14:00:00.000Z"],
    [
      "a daytime window (13:00–15:00), 14:00",
      "2026-11-25T21:00:00Z",
      { ...quiet, start: "13:00", end: "15:00" },
      { ...shop, hours: {} },
      "2026-11-25T22:00:00.000Z",
    ],
  ];
  for (const [name, at, q, s, expected] of cases) {
    await t.step(name, () => {
      assert.equal(quietUntil(new Date(at), q, s)?.toISOString() ?? null, expected);
    });
  }
});

Deno.test("the digest text counts what was held back and names the Refs that fit", async (t) => {
  const held = (n: number, why: HeldBackPage["why"]) =>
    Array.from(
      { length: n },
      (_, i) => ({ reference: `PAG-261125-${String(i).padStart(4, "0")}`, why }),
    );
  await t.step("19 high-priority leads", () => {
    const text = staffOnCallDigestSms(held(19, "high_priority"), 6);
    assert.match(text, /^HELD BACK: 19 more high-priority leads \(texts pause at 6 an hour\)\./);
    assert.match(text, /Refs PAG-261125-0000, PAG-261125-0001, /);
    assert.match(text, /Every lead is in your email/);
  });
  await t.step("leads and escalations", () => {
    const text = staffOnCallDigestSms([...held(1, "high_priority"), ...held(2, "escalation")], 6);
    assert.match(text, /^HELD BACK: 1 more high-priority lead and 2 escalations/);
  });
  await t.step("200 Refs: as many as fit in 4 segments, and how many more", () => {
    const text = staffOnCallDigestSms(held(200, "high_priority"), 6);
    assert.ok(smsCost(text).segments <= 4);
    assert.match(text, / and \d+ more\./);
  });
});
