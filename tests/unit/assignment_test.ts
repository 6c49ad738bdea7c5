import assert from "node:assert/strict";
import {
  assignRoundRobin,
  isOnShift,
  onCallMember,
  type RosterMember,
} from "../../shared/leads/assignment.ts";
import type { WeeklyHours } from "../../shared/leads/business_hours.ts";
import { makeMember } from "./_fixtures.ts";

function weekdays(open: string, close: string): WeeklyHours {
  const span = { open, close };
  return { mon: span, tue: span, wed: span, thu: span, fri: span };
}

// Wednesday, Nov 25, 2026: 8:30 am in Denver, 10:30 am in New York, 7:30 am in Los Angeles.
const now = new Date("2026-11-25T15:30:00Z");
const ana = makeMember({
  id: "ana",
  full_name: "Ana Ortiz",
  working_hours: weekdays("08:00", "17:00"),
  last_assigned_at: new Date("2026-11-24T20:00:00Z"),
});
const ben = makeMember({
  id: "ben",
  full_name: "Ben Cho",
  last_assigned_at: new Date("2026-11-25T15:00:00Z"),
});
const nia = makeMember({
  id: "nia",
  full_name: "Nia Brooks",
  time_zone: "America/New_York",
  working_hours: weekdays("09:00", "17:00"),
  last_assigned_at: new Date("2026-11-25T14:00:00Z"),
});
const lee = makeMember({
  id: "lee",
  full_name: "Lee Park",
  time_zone: "America/Los_Angeles",
  working_hours: weekdays("08:00", "17:00"),
});
const dan = makeMember({
  id: "dan",
  full_name: "Dan Reyes",
  working_hours: weekdays("09:00", "17:00"),
});
const ina = makeMember({ id: "ina", full_name: "Ina Inactive", active: false });
const noe = makeMember({ id: "noe", full_name: "Noe No-Email", email: null });
const rae = makeMember({ id: "rae", full_name: "Rae Muted", receives_lead_alerts: false });
const roster = [ana, ben, nia, lee, dan, ina, noe, rae];

const ids = (picks: (RosterMember | null)[]) => picks.map((m) => m?.id ?? null);
const stamps = (lastAssigned: Map<string, Date>) =>
  Object.fromEntries([...lastAssigned].map(([id, at]) => [id, at.toISOString()]));

Deno.test("isOnShift() reads each member's shift in their own zone", async (t) => {
  const cases: Array<[string, RosterMember, string, boolean]> = [
    ["no shift recorded: always", ben, "2026-11-29T10:00:00Z", true],
    ["New York 9–5 has started at 8:30 in Denver", nia, "2026-11-25T15:30:00Z", true],
    ["Denver 9–5 has not started at 8:30 in Denver", dan, "2026-11-25T15:30:00Z", false],
    ["Los Angeles 8–5 has not started at 8:30 in Denver", lee, "2026-11-25T15:30:00Z", false],
    ["New York 9–5 has ended at 4:00 pm in Denver", nia, "2026-11-25T23:00:00Z", false],
    ["Denver 9–5 is still on at 4:00 pm in Denver", dan, "2026-11-25T23:00:00Z", true],
    ["a weekday shift is off on Sunday", ana, "2026-11-29T18:00:00Z", false],
    [
      "a shift with no day is never on",
      makeMember({ id: "x", working_hours: {} }),
      now.toISOString(),
      false,
    ],
  ];
  for (const [name, member, iso, onShift] of cases) {
    await t.step(name, () => assert.equal(isOnShift(member, new Date(iso)), onShift));
  }
});

Deno.test("assignRoundRobin() gives each lead to the eligible member assigned least recently", async (t) => {
  await t.step("one lead goes to Ana, assigned yesterday, and stamps her now", () => {
    const { picks, lastAssigned } = assignRoundRobin(roster, 1, now);
    assert.deepEqual(ids(picks), ["ana"]);
    assert.deepEqual(stamps(lastAssigned), { ana: "2026-11-25T15:30:00.000Z" });
  });
  await t.step("a batch of four cycles Ana, Nia, Ben and Ana again, each stamp 1 ms apart", () => {
    const { picks, lastAssigned } = assignRoundRobin(roster, 4, now);
    assert.deepEqual(ids(picks), ["ana", "nia", "ben", "ana"]);
    assert.deepEqual(stamps(lastAssigned), {
      ana: "2026-11-25T15:30:00.003Z",
      nia: "2026-11-25T15:30:00.001Z",
      ben: "2026-11-25T15:30:00.002Z",
    });
  });
  await t.step("off shift, inactive, without email or not on alerts: never picked", () => {
    const { picks } = assignRoundRobin(roster, 9, now);
    for (const skipped of ["lee", "dan", "ina", "noe", "rae"]) {
      assert.ok(!ids(picks).includes(skipped), `${skipped} was picked`);
    }
  });
  await t.step("the roster passed in is left as it was", () => {
    assignRoundRobin(roster, 3, now);
    assert.equal(ana.last_assigned_at?.toISOString(), "2026-11-24T20:00:00.000Z");
  });
});

Deno.test("assignRoundRobin() orders the line fairly", async (t) => {
  const recent = new Date("2026-11-25T15:00:00Z");
  const cases: Array<[string, RosterMember[], number, (string | null)[]]> = [
    [
      "two free people alternate, never-assigned ties broken by name",
      [makeMember({ id: "2", full_name: "Bea" }), makeMember({ id: "1", full_name: "Al" })],
      5,
      ["1", "2", "1", "2", "1"],
    ],
    [
      "a member assigned long ago goes first",
      [
        makeMember({ id: "a", full_name: "Al", last_assigned_at: recent }),
        makeMember({
          id: "z",
          full_name: "Zoe",
          last_assigned_at: new Date("2025-01-02T00:00:00Z"),
        }),
      ],
      2,
      ["z", "a"],
    ],
    [
      "a new member goes before everyone assigned",
      [
        makeMember({
          id: "a",
          full_name: "Al",
          last_assigned_at: new Date("2020-01-01T00:00:00Z"),
        }),
        makeMember({ id: "n", full_name: "Newt" }),
      ],
      2,
      ["n", "a"],
    ],
    [
      "the same name and stamp: by id",
      [
        makeMember({ id: "b", full_name: "Sam", last_assigned_at: recent }),
        makeMember({ id: "a", full_name: "Sam", last_assigned_at: recent }),
      ],
      2,
      ["a", "b"],
    ],
    ["an empty roster: the admin inbox for each lead", [], 2, [null, null]],
    ["nobody eligible: the admin inbox", [lee, dan, ina, noe, rae], 1, [null]],
    ["no leads: no picks", [ana, nia], 0, []],
  ];
  for (const [name, members, count, expected] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(ids(assignRoundRobin(members, count, now).picks), expected),
    );
  }
  await t.step("everyone off shift: null picks and nothing to store", () => {
    const sunday = new Date("2026-11-29T18:00:00Z");
    const { picks, lastAssigned } = assignRoundRobin([ana, nia, lee, dan], 2, sunday);
    assert.deepEqual(ids(picks), [null, null]);
    assert.equal(lastAssigned.size, 0);
  });
});

Deno.test("assignRoundRobin() stamps each pick after every stamp on the roster", async (t) => {
  await t.step("a stored stamp ahead of the clock, even an ineligible member's, is passed", () => {
    const ahead = new Date("2026-11-25T16:00:00Z");
    const members = [
      makeMember({ id: "a", full_name: "Al" }),
      makeMember({ id: "i", full_name: "Ivy", active: false, last_assigned_at: ahead }),
    ];
    const { lastAssigned } = assignRoundRobin(members, 2, now);
    assert.deepEqual(stamps(lastAssigned), { a: "2026-11-25T16:00:00.002Z" });
  });
  await t.step("stamps older than now: the first pick gets now exactly", () => {
    const { lastAssigned } = assignRoundRobin([ben], 1, now);
    assert.deepEqual(stamps(lastAssigned), { ben: now.toISOString() });
  });
});

Deno.test("onCallMember() pages an active on-call member with a phone, on shift first", async (t) => {
  const onCall = (overrides: Partial<RosterMember> & Pick<RosterMember, "id">) =>
    makeMember({ on_call: true, ...overrides });
  const amyOff = onCall({ id: "amy", full_name: "Amy", working_hours: weekdays("09:00", "17:00") });
  const zedOn = onCall({ id: "zed", full_name: "Zed", working_hours: weekdays("08:00", "17:00") });
  const bob = onCall({ id: "bob", full_name: "Bob" });
  const cases: Array<[string, RosterMember[], string | null]> = [
    ["on shift beats off shift whatever the name", [amyOff, zedOn], "zed"],
    ["no shift recorded counts as on shift", [amyOff, bob], "bob"],
    ["both on shift: by name", [zedOn, bob], "bob"],
    ["both off shift: by name", [onCall({ ...zedOn, working_hours: {} }), amyOff], "amy"],
    ["inactive is skipped", [onCall({ id: "x", full_name: "Al", active: false }), zedOn], "zed"],
    ["no phone is skipped", [onCall({ id: "x", full_name: "Al", phone_e164: null }), zedOn], "zed"],
    ["nobody on call", [ana, ben, nia], null],
    ["an empty roster", [], null],
  ];
  for (const [name, members, expected] of cases) {
    await t.step(name, () => assert.equal(onCallMember(members, now)?.id ?? null, expected));
  }
});
