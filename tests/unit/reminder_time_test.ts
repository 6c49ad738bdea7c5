import assert from "node:assert/strict";
import { type ReminderTiming, reminderTiming } from "../../shared/appointments/reminder_time.ts";

const denver = { timeZone: "America/Denver", startHour: 8, endHour: 20 };
/** A Denver wall-clock time in late November (MST, UTC-7). */
const mst = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 10, day, hh + 7, mm));

Deno.test("reminderTiming() sends 24 h ahead, or at the latest allowed time before, or not at all", async (t) => {
  const cases: Array<[string, Parameters<typeof reminderTiming>[0], ReminderTiming]> = [
    [
      "a 10:00 appointment: 10:00 the day before",
      { startsAt: mst(27, 10), scheduledAt: mst(25, 9), now: mst(25, 9), window: denver },
      { action: "send", at: mst(26, 10) },
    ],
    [
      "an 07:30 appointment: the mark (07:30) is quiet, so 19:59 the evening before it",
      { startsAt: mst(28, 7, 30), scheduledAt: mst(25, 9), now: mst(25, 9), window: denver },
      { action: "send", at: mst(26, 19, 59) },
    ],
    [
      "an 08:30 appointment with texts allowed from 9: the evening before the mark",
      {
        startsAt: mst(28, 8, 30),
        scheduledAt: mst(25, 9),
        now: mst(25, 9),
        window: { ...denver, startHour: 9 },
      },
      { action: "send", at: mst(26, 19, 59) },
    ],
    [
      "an 08:30 Denver appointment for a California customer: 07:30 there, so 19:59 the evening before",
      {
        startsAt: mst(28, 8, 30),
        scheduledAt: mst(25, 9),
        now: mst(25, 9),
        window: { ...denver, timeZone: "America/Los_Angeles" },
      },
      { action: "send", at: new Date(Date.UTC(2026, 10, 27, 3, 59)) }, // 19:59 PST on the 26th
    ],
    [
      "a 21:30 appointment: the mark (21:30) is quiet, so 19:59 that day",
      { startsAt: mst(27, 21, 30), scheduledAt: mst(25, 9), now: mst(25, 9), window: denver },
      { action: "send", at: mst(26, 19, 59) },
    ],
    [
      "made at 20:30 for 21:00 the next day: the latest time has passed, so 08:00",
      { startsAt: mst(26, 21), scheduledAt: mst(25, 20, 30), now: mst(25, 20, 30), window: denver },
      { action: "send", at: mst(26, 8) },
    ],
    [
      "made at 23:00 for 07:30 two days on, at 07:00 the day before: no allowed time is left",
      { startsAt: mst(27, 7, 30), scheduledAt: mst(25, 23), now: mst(26, 20, 30), window: denver },
      { action: "skip", reason: "no_allowed_time_before_appointment" },
    ],
    [
      "made less than 24 h ahead: no reminder",
      { startsAt: mst(26, 10), scheduledAt: mst(25, 11), now: mst(25, 11), window: denver },
      { action: "skip", reason: "scheduled_within_24h" },
    ],
    [
      "a Florida customer (window 8–20 whatever the shop says)",
      {
        startsAt: mst(27, 18, 30), // 20:30 in Miami
        scheduledAt: mst(25, 9),
        now: mst(25, 9),
        window: { timeZone: "America/New_York", startHour: 8, endHour: 21, state: "FL" },
      },
      { action: "send", at: new Date(Date.UTC(2026, 10, 27, 0, 59)) }, // 19:59 in Miami
    ],
  ];
  for (const [name, facts, expected] of cases) {
    await t.step(name, () => assert.deepEqual(reminderTiming(facts), expected));
  }
});
