import assert from "node:assert/strict";
import ICAL from "ical.js";
import {
  appointmentIcs,
  AppointmentIcsError,
  type AppointmentInvite,
} from "../../templates/calendar/appointment_ics.ts";

const stamp = new Date("2026-11-20T12:00:00Z");

function makeInvite(overrides: Partial<AppointmentInvite> = {}): AppointmentInvite {
  return {
    uid: "appointment-7f3c@leadwire",
    sequence: 0,
    method: "REQUEST",
    start: new Date("2026-11-27T16:00:00Z"),
    end: new Date("2026-11-27T18:00:00Z"),
    timeZone: "America/Denver",
    summary: "Windshield replacement",
    description: "2019 Honda Civic. Ref PAG-261125-0042.",
    location: "1234 Main St, Denver, CO 80202",
    organizer: { name: "Pink Auto Glass", email: "service@pinkautoglass.com" },
    attendee: { name: "Jane Doe", email: "jane.doe@example.com" },
    ...overrides,
  };
}

/** The calendar ical.js reads from `ics`, and its one event. */
function parse(ics: string): { calendar: ICAL.Component; event: ICAL.Component } {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const event = calendar.getFirstSubcomponent("vevent");
  assert.ok(event, "the calendar has a VEVENT");
  return { calendar, event };
}

/** A date-time property as ical.js resolves it: its zone's TZID and its instant. */
function instant(event: ICAL.Component, name: string): { tzid: string; utc: string } {
  const time = event.getFirstPropertyValue(name) as ICAL.Time;
  return { tzid: time.zone?.tzid ?? "", utc: time.toJSDate().toISOString() };
}

/** The unfolded content lines. */
function lines(ics: string): string[] {
  return ics.replace(/\r\n[ \t]/g, "").split("\r\n");
}

/** Runs `fn` with the process in `zone` (TZ), then puts the process's zone back. */
function inProcessZone<T>(zone: string, fn: () => T): T {
  const before = Deno.env.get("TZ");
  Deno.env.set("TZ", zone);
  try {
    return fn();
  } finally {
    if (before === undefined) Deno.env.delete("TZ");
    else Deno.env.set("TZ", before);
  }
}

Deno.test("appointmentIcs() writes the shop's wall-clock times with their TZID, and ical.js reads back the same instants", async (t) => {
  const cases: Array<[string, string, string, string, string, string]> = [
    [
      "Friday after Thanksgiving (MST, UTC-7)",
      "2026-11-27T16:00:00Z",
      "2026-11-27T18:00:00Z",
      "America/Denver",
      "20261127T090000",
      "20261127T110000",
    ],
    [
      "the Monday after clocks went forward (MDT, UTC-6)",
      "2026-03-09T15:00:00Z",
      "2026-03-09T16:30:00Z",
      "America/Denver",
      "20260309T090000",
      "20260309T103000",
    ],
    [
      "July (MDT, UTC-6)",
      "2026-07-15T15:00:00Z",
      "2026-07-15T17:00:00Z",
      "America/Denver",
      "20260715T090000",
      "20260715T110000",
    ],
    [
      "Phoenix, which keeps MST in July",
      "2026-07-15T16:00:00Z",
      "2026-07-15T17:00:00Z",
      "America/Phoenix",
      "20260715T090000",
      "20260715T100000",
    ],
  ];
  for (const [name, start, end, timeZone, localStart, localEnd] of cases) {
    await t.step(name, () => {
      const ics = appointmentIcs(
        makeInvite({ start: new Date(start), end: new Date(end), timeZone }),
        { stamp },
      );
      assert.ok(lines(ics).includes(`DTSTART;TZID=${timeZone}:${localStart}`));
      assert.ok(lines(ics).includes(`DTEND;TZID=${timeZone}:${localEnd}`));
      const { calendar, event } = parse(ics);
      const zones = calendar.getAllSubcomponents("vtimezone");
      assert.deepEqual(zones.map((z) => z.getFirstPropertyValue("tzid")), [timeZone]);
      assert.deepEqual(instant(event, "dtstart"), {
        tzid: timeZone,
        utc: start.replace("Z", ".000Z"),
      });
      assert.deepEqual(instant(event, "dtend"), { tzid: timeZone, utc: end.replace("Z", ".000Z") });
    });
  }
  await t.step("an alias zone is written under the TZID its VTIMEZONE defines", () => {
    const ics = appointmentIcs(makeInvite({ timeZone: "US/Mountain" }), { stamp });
    assert.ok(lines(ics).includes("DTSTART;TZID=America/Denver:20261127T090000"));
    assert.ok(lines(ics).includes("TZID:America/Denver"));
  });
});

Deno.test("appointmentIcs() writes the same bytes whatever zone the process runs in", async (t) => {
  const expected = appointmentIcs(makeInvite(), { stamp });
  for (const zone of ["UTC", "Asia/Tokyo", "Pacific/Honolulu", "America/Denver"]) {
    await t.step(`TZ=${zone}`, () => {
      const ics = inProcessZone(zone, () => appointmentIcs(makeInvite(), { stamp }));
      assert.equal(ics, expected);
      assert.equal(instant(parse(ics).event, "dtstart").utc, "2026-11-27T16:00:00.000Z");
    });
  }
});

Deno.test("a reschedule keeps the UID and raises SEQUENCE; a cancellation is METHOD:CANCEL with STATUS:CANCELLED", async (t) => {
  const cases: Array<[string, Partial<AppointmentInvite>, string, string]> = [
    ["booked", { sequence: 0 }, "REQUEST", "CONFIRMED"],
    [
      "moved to the next morning",
      {
        sequence: 1,
        start: new Date("2026-11-28T16:00:00Z"),
        end: new Date("2026-11-28T18:00:00Z"),
      },
      "REQUEST",
      "CONFIRMED",
    ],
    ["cancelled", { sequence: 2, method: "CANCEL" }, "CANCEL", "CANCELLED"],
  ];
  for (const [name, overrides, method, status] of cases) {
    await t.step(name, () => {
      const { calendar, event } = parse(appointmentIcs(makeInvite(overrides), { stamp }));
      assert.equal(calendar.getFirstPropertyValue("method"), method);
      assert.equal(event.getFirstPropertyValue("uid"), "appointment-7f3c@leadwire");
      assert.equal(event.getFirstPropertyValue("sequence"), overrides.sequence);
      assert.equal(event.getFirstPropertyValue("status"), status);
    });
  }
});

Deno.test("the organizer and the attendee are mailto: addresses with their names; without an attendee there is no ATTENDEE", () => {
  const { event } = parse(appointmentIcs(makeInvite(), { stamp }));
  const organizer = event.getFirstProperty("organizer")!;
  assert.equal(String(organizer.getFirstValue()).toLowerCase(), "mailto:service@pinkautoglass.com");
  assert.equal(organizer.getParameter("cn"), "Pink Auto Glass");
  const attendee = event.getFirstProperty("attendee")!;
  assert.equal(String(attendee.getFirstValue()).toLowerCase(), "mailto:jane.doe@example.com");
  assert.equal(attendee.getParameter("cn"), "Jane Doe");

  const alone = parse(appointmentIcs(makeInvite({ attendee: null }), { stamp })).event;
  assert.equal(alone.getAllProperties("attendee").length, 0);
});

Deno.test("SUMMARY, DESCRIPTION and LOCATION keep commas, semicolons and line breaks; a null location writes no LOCATION", () => {
  const invite = makeInvite({
    summary: "Windshield replacement, mobile; 2019 Honda Civic",
    description: "Bring the car at 8:45.\nRef: PAG-261125-0042; glass, OEM",
    location: "Lot B; 1234 Main St, Denver",
  });
  const ics = appointmentIcs(invite, { stamp });
  assert.ok(lines(ics).includes("SUMMARY:Windshield replacement\\, mobile\\; 2019 Honda Civic"));
  assert.ok(
    lines(ics).includes(
      "DESCRIPTION:Bring the car at 8:45.\\nRef: PAG-261125-0042\\; glass\\, OEM",
    ),
  );
  assert.ok(lines(ics).includes("LOCATION:Lot B\\; 1234 Main St\\, Denver"));
  const { event } = parse(ics);
  assert.equal(event.getFirstPropertyValue("summary"), invite.summary);
  assert.equal(event.getFirstPropertyValue("description"), invite.description);
  assert.equal(event.getFirstPropertyValue("location"), invite.location);

  const nowhere = appointmentIcs(makeInvite({ location: null }), { stamp });
  assert.ok(!lines(nowhere).some((l) => l.startsWith("LOCATION")));
});

Deno.test("every line ends in CRLF and is folded at 75 octets without splitting a character", () => {
  const description = "Réparation du pare-brise 🚗 ".repeat(12).trim();
  const ics = appointmentIcs(makeInvite({ description }), { stamp });
  assert.ok(ics.endsWith("END:VCALENDAR\r\n"));
  assert.ok(!/[^\r]\n/.test(ics), "no bare LF");
  const physical = ics.slice(0, -2).split("\r\n");
  assert.ok(physical.some((l) => l.startsWith(" ")), "the long DESCRIPTION is folded");
  for (const line of physical) {
    assert.ok(new TextEncoder().encode(line).byteLength <= 75, `longer than 75 octets: ${line}`);
    assert.ok(!line.includes("\uFFFD"));
  }
  assert.equal(parse(ics).event.getFirstPropertyValue("description"), description);
});

Deno.test("DTSTAMP is the stamp given, in UTC, so the same appointment version renders the same bytes", () => {
  const ics = appointmentIcs(makeInvite(), { stamp });
  assert.ok(lines(ics).includes("DTSTAMP:20261120T120000Z"));
  assert.equal(appointmentIcs(makeInvite(), { stamp }), ics);
});

Deno.test("appointmentIcs() refuses an unknown zone, an end not after the start and a bad sequence", async (t) => {
  const cases: Array<[string, Partial<AppointmentInvite>, RegExp]> = [
    [
      "unknown zone",
      { timeZone: "Mountain Time" },
      /"Mountain Time" is not a known IANA time zone/,
    ],
    ["end before start", { end: new Date("2026-11-27T15:00:00Z") }, /is not after its start/],
    ["zero length", { end: new Date("2026-11-27T16:00:00Z") }, /is not after its start/],
    ["invalid date", { start: new Date("not a date") }, /not a valid date/],
    ["negative sequence", { sequence: -1 }, /sequence -1/],
    ["fractional sequence", { sequence: 1.5 }, /sequence 1\.5/],
  ];
  for (const [name, overrides, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => appointmentIcs(makeInvite(overrides), { stamp }), (error: unknown) => {
        assert.ok(error instanceof AppointmentIcsError);
        assert.match(
          error.message,
          /^Cannot write the invite for appointment "appointment-7f3c@leadwire": /,
        );
        assert.match(error.message, message);
        return true;
      });
    });
  }
});
