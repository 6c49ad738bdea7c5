import assert from "node:assert/strict";
import {
  dailySmsCap,
  latestAllowedSendTime,
  nextAllowedSendTime,
  smsWindow,
} from "../../shared/compliance/quiet_hours.ts";

const denver = { timeZone: "America/Denver", startHour: 8, endHour: 20 };

Deno.test("a lead known only by a state a zone line splits gets the latest morning and the earliest evening of its zones", () => {
  // Kentucky without a ZIP: Eastern mostly, Central in the west (leads.also_time_zones).
  const kentucky = smsWindow(
    { state: "KY", time_zone: "America/New_York", also_time_zones: ["America/Chicago"] },
    null,
    { sms_window_start_hour: 8, sms_window_end_hour: 21 },
  );
  const eightThirtyEastern = new Date("2027-01-15T13:30:00Z"); // 7:30 am Central
  assert.equal(
    nextAllowedSendTime(eightThirtyEastern, kentucky)?.toISOString(),
    "2027-01-15T14:00:00.000Z", // 8:00 am Central, 9:00 am Eastern
  );
  const eightThirtyCentral = new Date("2027-01-16T02:30:00Z"); // 9:30 pm Eastern
  assert.equal(
    latestAllowedSendTime(eightThirtyCentral, kentucky)?.toISOString(),
    "2027-01-16T01:59:00.000Z", // 8:59 pm Eastern, 7:59 pm Central
  );
});

Deno.test("a lead's own zone decides, whatever its state counts as: El Paso is Mountain in a Central state", () => {
  // 7:56 am MST = 8:56 am CST.
  const at = new Date("2026-11-25T14:56:00Z");
  const elPaso = smsWindow(
    { state: "TX", time_zone: "America/Denver", also_time_zones: [] },
    null,
    { sms_window_start_hour: 8, sms_window_end_hour: 20 },
  );
  assert.equal(nextAllowedSendTime(at, elPaso)?.toISOString(), "2026-11-25T15:00:00.000Z");
});

Deno.test("Washington ends texting at 8 pm whatever the shop allows, and keeps the shop's cap", () => {
  const eightThirty = new Date("2026-11-26T04:30:00Z"); // 8:30 pm in Seattle (PST)
  const seattle = { timeZone: "America/Los_Angeles", startHour: 8, endHour: 21 };
  assert.equal(nextAllowedSendTime(eightThirty, seattle), eightThirty);
  assert.equal(
    nextAllowedSendTime(eightThirty, { ...seattle, state: "WA" })?.toISOString(),
    "2026-11-26T16:00:00.000Z",
  );
  assert.equal(dailySmsCap(4, "WA"), 4);
});

Deno.test("Phoenix keeps 8 am at 15:00 UTC all year; Denver moves with DST", () => {
  const july = new Date("2026-07-15T14:30:00Z"); // 7:30 in Phoenix (MST), 8:30 in Denver (MDT)
  const phoenix = { ...denver, timeZone: "America/Phoenix" };
  assert.equal(nextAllowedSendTime(july, phoenix)?.toISOString(), "2026-07-15T15:00:00.000Z");
  assert.equal(nextAllowedSendTime(july, denver), july);
});

Deno.test("nextAllowedSendTime() defers a 9:30 pm Denver send to 8:00 am the next day", () => {
  const ninePm = new Date("2026-11-25T04:30:00Z"); // Nov 24, 9:30 pm MST
  assert.equal(nextAllowedSendTime(ninePm, denver)?.toISOString(), "2026-11-25T15:00:00.000Z");
});

Deno.test("nextAllowedSendTime() keeps or moves a send by the recipient's local clock", async (t) => {
  await t.step("inside the window it returns the same now", () => {
    const noon = new Date("2026-11-25T19:00:00Z");
    assert.equal(nextAllowedSendTime(noon, denver), noon);
  });
  await t.step("before the window it moves to the start the same day", () => {
    const six = new Date("2026-11-25T13:00:00Z"); // 6:00 am MST
    assert.equal(nextAllowedSendTime(six, denver)?.toISOString(), "2026-11-25T15:00:00.000Z");
  });
  await t.step("the start is inclusive and the end exclusive", () => {
    const eight = new Date("2026-11-25T15:00:00Z");
    const justBeforeEight = new Date("2026-11-26T02:59:59Z"); // 7:59:59 pm MST
    const eightPm = new Date("2026-11-26T03:00:00Z");
    assert.equal(nextAllowedSendTime(eight, denver), eight);
    assert.equal(nextAllowedSendTime(justBeforeEight, denver), justBeforeEight);
    assert.equal(nextAllowedSendTime(eightPm, denver)?.toISOString(), "2026-11-26T15:00:00.000Z");
  });
  await t.step("the same instant is fine in Los Angeles and deferred in New York", () => {
    const instant = new Date("2026-11-26T03:30:00Z"); // 7:30 pm PST, 10:30 pm EST
    const la = { timeZone: "America/Los_Angeles", startHour: 8, endHour: 20 };
    const ny = { timeZone: "America/New_York", startHour: 8, endHour: 20 };
    assert.equal(nextAllowedSendTime(instant, la), instant);
    assert.equal(nextAllowedSendTime(instant, ny)?.toISOString(), "2026-11-26T13:00:00.000Z");
  });
  await t.step("0 to 24 means always", () => {
    const threeAm = new Date("2026-11-25T10:00:00Z");
    const always = { timeZone: "America/Denver", startHour: 0, endHour: 24 };
    assert.equal(nextAllowedSendTime(threeAm, always), threeAm);
  });
  await t.step("hours that are not a window throw", () => {
    const now = new Date("2026-11-25T10:00:00Z");
    for (const [startHour, endHour] of [[20, 8], [8, 8], [-1, 20], [8, 25], [8.5, 20]]) {
      assert.throws(
        () => nextAllowedSendTime(now, { timeZone: "America/Denver", startHour, endHour }),
        RangeError,
      );
    }
  });
});

Deno.test("nextAllowedSendTime() is right across daylight-saving changes", async (t) => {
  await t.step("spring forward: 9:30 pm MST moves to 8:00 am MDT (14:00 UTC)", () => {
    const now = new Date("2026-03-08T04:30:00Z"); // Mar 7, 9:30 pm MST; clocks jump Mar 8
    assert.equal(nextAllowedSendTime(now, denver)?.toISOString(), "2026-03-08T14:00:00.000Z");
  });
  await t.step("fall back: 9:30 pm MDT moves to 8:00 am MST (15:00 UTC)", () => {
    const now = new Date("2026-11-01T03:30:00Z"); // Oct 31, 9:30 pm MDT; clocks fall Nov 1
    assert.equal(nextAllowedSendTime(now, denver)?.toISOString(), "2026-11-01T15:00:00.000Z");
  });
  await t.step("during the repeated 1 am hour it still waits for 8:00 am MST", () => {
    const firstOne = new Date("2026-11-01T07:30:00Z"); // 1:30 am MDT
    const secondOne = new Date("2026-11-01T08:30:00Z"); // 1:30 am MST
    assert.equal(nextAllowedSendTime(firstOne, denver)?.toISOString(), "2026-11-01T15:00:00.000Z");
    assert.equal(nextAllowedSendTime(secondOne, denver)?.toISOString(), "2026-11-01T15:00:00.000Z");
  });
});

Deno.test("nextAllowedSendTime() never lets Florida, Oklahoma or Maryland past 8 pm", async (t) => {
  const federal = { timeZone: "America/New_York", startHour: 8, endHour: 21 };
  const eightThirtyPm = new Date("2026-11-26T01:30:00Z"); // 8:30 pm EST
  await t.step("Florida is capped at 8 pm even when the shop allows 9 pm", () => {
    assert.equal(
      nextAllowedSendTime(eightThirtyPm, { ...federal, state: "FL" })?.toISOString(),
      "2026-11-26T13:00:00.000Z",
    );
  });
  await t.step("so are Maryland and Oklahoma", () => {
    assert.notEqual(nextAllowedSendTime(eightThirtyPm, { ...federal, state: "md" }), eightThirtyPm);
    const okNow = new Date("2026-11-26T02:30:00Z"); // 8:30 pm CST
    const ok = { timeZone: "America/Chicago", startHour: 8, endHour: 21, state: "OK" };
    assert.equal(nextAllowedSendTime(okNow, ok)?.toISOString(), "2026-11-26T14:00:00.000Z");
  });
  await t.step("another state keeps the configured 9 pm", () => {
    assert.equal(nextAllowedSendTime(eightThirtyPm, { ...federal, state: "NY" }), eightThirtyPm);
  });
  await t.step("even 'always' means 8 am to 8 pm in Florida", () => {
    const always = { timeZone: "America/New_York", startHour: 0, endHour: 24, state: "FL" };
    const sixAm = new Date("2026-11-25T11:00:00Z");
    assert.equal(nextAllowedSendTime(sixAm, always)?.toISOString(), "2026-11-25T13:00:00.000Z");
  });
});

Deno.test("dailySmsCap() never allows more than 3 texts a day in FL, OK or MD", () => {
  assert.equal(dailySmsCap(4, "FL"), 3);
  assert.equal(dailySmsCap(4, "ok"), 3);
  assert.equal(dailySmsCap(2, "MD"), 2);
  assert.equal(dailySmsCap(4, "CO"), 4);
  assert.equal(dailySmsCap(4, null), 4);
});
