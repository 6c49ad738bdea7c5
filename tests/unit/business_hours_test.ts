import assert from "node:assert/strict";
import {
  callbackPromise,
  callbackSentence,
  escalationDueAt,
  isOpenAt,
  openingAtOrAfter,
  parseWeeklyHours,
  type WeeklyHours,
} from "../../shared/leads/business_hours.ts";

// Denver is UTC-7 (MST) from Nov 1, 2026 and UTC-6 (MDT) from Mar 8, 2026; Honolulu is UTC-10
// all year. Nov 25, 2026 is a Wednesday.
const DENVER = "America/Denver";
const HONOLULU = "Pacific/Honolulu";
const NEW_YORK = "America/New_York";
const weekday = { open: "08:00", close: "18:00" };
const shop: WeeklyHours = {
  mon: weekday,
  tue: weekday,
  wed: weekday,
  thu: weekday,
  fri: weekday,
  sat: { open: "09:00", close: "14:00" },
};
const sevenDays: WeeklyHours = { ...shop, sun: { open: "08:00", close: "12:00" } };

Deno.test("parseWeeklyHours() accepts the stored jsonb shape", async (t) => {
  await t.step("a full week comes back as given", () => {
    assert.deepEqual(parseWeeklyHours(JSON.parse(JSON.stringify(shop))), shop);
  });
  await t.step("a day set to null is closed", () => {
    assert.deepEqual(parseWeeklyHours({ mon: weekday, sun: null }), { mon: weekday });
  });
  await t.step("an empty object is a week with no open day", () => {
    assert.deepEqual(parseWeeklyHours({}), {});
  });
});

Deno.test("parseWeeklyHours() throws a TypeError naming the day and value that do not fit", async (t) => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["null", null, /expected an object/],
    ["an array", [weekday], /expected an object/],
    ["a string", "mon-fri 8-6", /expected an object/],
    ["a day spelled out", { monday: weekday }, /"monday" is not a day \(use sun, mon/],
    ["a day given as text", { mon: "08:00-18:00" }, /mon must be \{"open"/],
    ["a 12-hour time", { tue: { open: "8am", close: "18:00" } }, /tue\.open "8am" is not/],
    ["a missing close", { wed: { open: "08:00" } }, /wed\.close undefined is not/],
    ["a numeric time", { thu: { open: 800, close: "18:00" } }, /thu\.open 800 is not/],
    ["hour 24", { fri: { open: "08:00", close: "24:00" } }, /fri\.close "24:00" is not/],
    ["a single-digit hour", { sat: { open: "9:00", close: "14:00" } }, /sat\.open "9:00"/],
    [
      "an overnight span",
      { sun: { open: "18:00", close: "02:00" } },
      /sun closes at 02:00, not after it opens at 18:00/,
    ],
    ["an empty span", { mon: { open: "08:00", close: "08:00" } }, /mon closes at 08:00/],
  ];
  for (const [name, value, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseWeeklyHours(value), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Cannot read weekly hours: /);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("isOpenAt() reads the shop's wall clock: open inclusive, close exclusive", async (t) => {
  const cases: Array<[string, WeeklyHours, string, string, boolean]> = [
    ["Wednesday 8:00 am opens", shop, DENVER, "2026-11-25T15:00:00Z", true],
    ["Wednesday 7:59:59 am is still closed", shop, DENVER, "2026-11-25T14:59:59Z", false],
    ["Wednesday 5:59:59 pm is still open", shop, DENVER, "2026-11-26T00:59:59Z", true],
    ["Wednesday 6:00 pm has closed", shop, DENVER, "2026-11-26T01:00:00Z", false],
    ["Saturday 9:00 am opens", shop, DENVER, "2026-11-28T16:00:00Z", true],
    ["Saturday 2:00 pm has closed", shop, DENVER, "2026-11-28T21:00:00Z", false],
    ["Sunday noon is closed", shop, DENVER, "2026-11-29T19:00:00Z", false],
    ["Wednesday midnight is closed", shop, DENVER, "2026-11-25T07:00:00Z", false],
    ["7:30 am in Denver is closed", shop, DENVER, "2026-11-25T14:30:00Z", false],
    [
      "the same instant is 9:30 am and open in New York",
      shop,
      NEW_YORK,
      "2026-11-25T14:30:00Z",
      true,
    ],
    ["Monday 8:00 am MDT after spring forward", shop, DENVER, "2026-03-09T14:00:00Z", true],
    ["Monday 7:59 am MDT after spring forward", shop, DENVER, "2026-03-09T13:59:00Z", false],
    ["Friday 7:30 am MST before spring forward", shop, DENVER, "2026-03-06T14:30:00Z", false],
    ["Monday 8:00 am MST after fall back", shop, DENVER, "2026-11-02T15:00:00Z", true],
    ["Monday 7:00 am MST after fall back", shop, DENVER, "2026-11-02T14:00:00Z", false],
    ["a week with no open day", {}, DENVER, "2026-11-25T17:00:00Z", false],
  ];
  for (const [name, hours, zone, iso, open] of cases) {
    await t.step(name, () => assert.equal(isOpenAt(hours, zone, new Date(iso)), open));
  }
  await t.step("a night shift opens at midnight Monday, not the second before", () => {
    const night: WeeklyHours = { mon: { open: "00:00", close: "06:00" } };
    assert.equal(isOpenAt(night, DENVER, new Date("2026-11-30T06:59:59Z")), false);
    assert.equal(isOpenAt(night, DENVER, new Date("2026-11-30T07:00:00Z")), true);
  });
});

Deno.test("openingAtOrAfter() returns the instant when open, else the next opening", async (t) => {
  const cases: Array<[string, WeeklyHours, string, string | null]> = [
    ["open now: the same instant", shop, "2026-11-25T17:00:00Z", "2026-11-25T17:00:00.000Z"],
    ["6:00 am: 8:00 am that day", shop, "2026-11-25T13:00:00Z", "2026-11-25T15:00:00.000Z"],
    ["6:00 pm: 8:00 am the next day", shop, "2026-11-26T01:00:00Z", "2026-11-26T15:00:00.000Z"],
    ["Friday 6:30 pm: Saturday 9:00", shop, "2026-11-28T01:30:00Z", "2026-11-28T16:00:00.000Z"],
    ["Saturday 2:00 pm: Monday 8:00", shop, "2026-11-28T21:00:00Z", "2026-11-30T15:00:00.000Z"],
    ["Sunday noon: Monday 8:00", shop, "2026-11-29T19:00:00Z", "2026-11-30T15:00:00.000Z"],
    ["Sunday 11:59 pm: Monday 8:00", shop, "2026-11-30T06:59:00Z", "2026-11-30T15:00:00.000Z"],
    [
      "Saturday before spring forward: Monday 8:00 MDT",
      shop,
      "2026-03-07T22:00:00Z",
      "2026-03-09T14:00:00.000Z",
    ],
    [
      "Saturday before fall back: Monday 8:00 MST",
      shop,
      "2026-10-31T21:00:00Z",
      "2026-11-02T15:00:00.000Z",
    ],
    [
      "12:30 am MST on spring-forward Sunday: 8:00 MDT",
      sevenDays,
      "2026-03-08T07:30:00Z",
      "2026-03-08T14:00:00.000Z",
    ],
    [
      "the first 1:30 am (MDT) on fall-back Sunday: 8:00 MST",
      sevenDays,
      "2026-11-01T07:30:00Z",
      "2026-11-01T15:00:00.000Z",
    ],
    [
      "the second 1:30 am (MST) on fall-back Sunday: 8:00 MST",
      sevenDays,
      "2026-11-01T08:30:00Z",
      "2026-11-01T15:00:00.000Z",
    ],
    [
      "one day a week, just missed: the same day next week",
      { wed: { open: "08:00", close: "09:00" } },
      "2026-11-25T17:00:00Z",
      "2026-12-02T15:00:00.000Z",
    ],
    [
      "a midnight opening: Monday 00:00",
      { mon: { open: "00:00", close: "06:00" } },
      "2026-11-30T06:30:00Z",
      "2026-11-30T07:00:00.000Z",
    ],
    ["no open day: null", {}, "2026-11-25T17:00:00Z", null],
  ];
  for (const [name, hours, iso, expected] of cases) {
    await t.step(name, () => {
      assert.equal(openingAtOrAfter(hours, DENVER, new Date(iso))?.toISOString() ?? null, expected);
    });
  }
});

Deno.test("callbackPromise() promises 15 minutes only while the shop stays open that long", async (t) => {
  const cases: Array<[string, string, string, string]> = [
    ["Wednesday 10:00 am", "2026-11-25T17:00:00Z", DENVER, "within 15"],
    ["8:00 am exactly", "2026-11-25T15:00:00Z", DENVER, "within 15"],
    ["7:59 am", "2026-11-25T14:59:00Z", DENVER, "at 8:00 am"],
    ["Friday 5:44 pm: still open at 5:59", "2026-11-28T00:44:00Z", DENVER, "within 15"],
    ["Friday 5:45 pm: closed at 6:00", "2026-11-28T00:45:00Z", DENVER, "tomorrow at 9:00 am"],
    ["Friday 5:50 pm", "2026-11-28T00:50:00Z", DENVER, "tomorrow at 9:00 am"],
    ["Wednesday 6:00 pm exactly", "2026-11-26T01:00:00Z", DENVER, "tomorrow at 8:00 am"],
    ["Saturday 3:00 pm", "2026-11-28T22:00:00Z", DENVER, "on Monday at 8:00 am"],
    ["Sunday noon", "2026-11-29T19:00:00Z", DENVER, "tomorrow at 8:00 am"],
    ["4:56 am in Honolulu (7:56 in Denver)", "2026-11-25T14:56:00Z", HONOLULU, "at 5:00 am"],
    ["the same instant in Denver", "2026-11-25T14:56:00Z", DENVER, "at 8:00 am"],
    [
      "11:30 pm Tuesday in Honolulu, 2:30 am Wednesday in Denver",
      "2026-11-25T09:30:00Z",
      HONOLULU,
      "tomorrow at 5:00 am",
    ],
    ["the same instant in Denver", "2026-11-25T09:30:00Z", DENVER, "at 8:00 am"],
    ["11:30 pm Tuesday in Denver", "2026-11-25T06:30:00Z", DENVER, "tomorrow at 8:00 am"],
    ["the same instant in New York (1:30 am)", "2026-11-25T06:30:00Z", NEW_YORK, "at 10:00 am"],
    [
      "Saturday 1:50 pm before spring forward",
      "2026-03-07T20:50:00Z",
      DENVER,
      "on Monday at 8:00 am",
    ],
    ["spring-forward Sunday 11:30 pm MDT", "2026-03-09T05:30:00Z", DENVER, "tomorrow at 8:00 am"],
    ["Saturday 4:00 pm before fall back", "2026-10-31T22:00:00Z", DENVER, "on Monday at 8:00 am"],
    ["fall-back Sunday 11:30 pm MST", "2026-11-02T06:30:00Z", DENVER, "tomorrow at 8:00 am"],
  ];
  for (const [name, iso, customerZone, expected] of cases) {
    await t.step(name, () => {
      const promise = callbackPromise(shop, DENVER, customerZone, new Date(iso));
      assert.equal(
        promise.kind === "within" ? `within ${promise.minutes}` : promise.words,
        expected,
      );
    });
  }
});

Deno.test("callbackPromise() gives the opening instant and honours other windows", async (t) => {
  await t.step("Friday 5:50 pm promises Saturday 9:00 am Denver", () => {
    assert.deepEqual(callbackPromise(shop, DENVER, DENVER, new Date("2026-11-28T00:50:00Z")), {
      kind: "at_opening",
      at: new Date("2026-11-28T16:00:00Z"),
      words: "tomorrow at 9:00 am",
    });
  });
  await t.step("5:40 pm is too late for 30 minutes, early enough for 5", () => {
    const now = new Date("2026-11-26T00:40:00Z");
    assert.equal(callbackPromise(shop, DENVER, DENVER, now, 30).kind, "at_opening");
    assert.deepEqual(callbackPromise(shop, DENVER, DENVER, now, 5), { kind: "within", minutes: 5 });
  });
  await t.step("no hours configured keeps the promise", () => {
    const sunday = new Date("2026-11-29T19:00:00Z");
    assert.deepEqual(callbackPromise({}, DENVER, HONOLULU, sunday), {
      kind: "within",
      minutes: 15,
    });
  });
});

Deno.test("callbackSentence() words the promise in GSM-7 text", async (t) => {
  const cases: Array<[string, Parameters<typeof callbackSentence>[0], string]> = [
    [
      "within 15 minutes",
      { kind: "within", minutes: 15 },
      "We'll call you within 15 minutes to confirm your appointment.",
    ],
    [
      "within 1 minute",
      { kind: "within", minutes: 1 },
      "We'll call you within 1 minute to confirm your appointment.",
    ],
    [
      "at the opening",
      { kind: "at_opening", at: new Date("2026-11-26T15:00:00Z"), words: "tomorrow at 8:00 am" },
      "We'll call you when we open tomorrow at 8:00 am to confirm your appointment.",
    ],
  ];
  for (const [name, promise, sentence] of cases) {
    await t.step(name, () => {
      assert.equal(callbackSentence(promise), sentence);
      assert.doesNotMatch(sentence, /[\u2018\u2019]/);
    });
  }
});

Deno.test("escalationDueAt() starts a closed-hours lead's clock at the next opening", async (t) => {
  const cases: Array<[string, WeeklyHours, string, string]> = [
    ["Saturday 11:00 pm: Monday 8:15", shop, "2026-11-29T06:00:00Z", "2026-11-30T15:15:00.000Z"],
    ["Wednesday 10:00 am: 10:15", shop, "2026-11-25T17:00:00Z", "2026-11-25T17:15:00.000Z"],
    ["Wednesday 6:00 am: 8:15", shop, "2026-11-25T13:00:00Z", "2026-11-25T15:15:00.000Z"],
    ["5:55 pm: 6:10, after closing", shop, "2026-11-26T00:55:00Z", "2026-11-26T01:10:00.000Z"],
    [
      "Saturday 11:00 pm before spring forward: Monday 8:15 MDT",
      shop,
      "2026-03-08T06:00:00Z",
      "2026-03-09T14:15:00.000Z",
    ],
    ["no hours configured: 15 minutes", {}, "2026-11-29T06:00:00Z", "2026-11-29T06:15:00.000Z"],
  ];
  for (const [name, hours, created, due] of cases) {
    await t.step(name, () => {
      assert.equal(escalationDueAt(new Date(created), hours, DENVER, 15).toISOString(), due);
    });
  }
});
