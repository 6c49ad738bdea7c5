import assert from "node:assert/strict";
import {
  dailySmsCap,
  nextAllowedSendTime,
  timeZoneForLead,
} from "../../shared/compliance/quiet_hours.ts";

const denver = { timeZone: "America/Denver", startHour: 8, endHour: 20 };

Deno.test("timeZoneForLead() maps a state to the zone most of its people live in", async (t) => {
  await t.step("single-zone and multi-zone states", () => {
    assert.equal(timeZoneForLead({ state: "CO" }, "UTC"), "America/Denver");
    assert.equal(timeZoneForLead({ state: "AZ" }, "UTC"), "America/Phoenix");
    assert.equal(timeZoneForLead({ state: "FL" }, "UTC"), "America/New_York");
    assert.equal(timeZoneForLead({ state: "TX" }, "UTC"), "America/Chicago");
    assert.equal(timeZoneForLead({ state: "TN" }, "UTC"), "America/Chicago");
    assert.equal(timeZoneForLead({ state: "ID" }, "UTC"), "America/Boise");
    assert.equal(timeZoneForLead({ state: "HI" }, "UTC"), "Pacific/Honolulu");
  });
  await t.step("state codes are read case- and space-insensitively", () => {
    assert.equal(timeZoneForLead({ state: " ca " }, "UTC"), "America/Los_Angeles");
  });
  await t.step("no state or an unknown one falls back", () => {
    assert.equal(timeZoneForLead({ state: null }, "America/Denver"), "America/Denver");
    assert.equal(timeZoneForLead({ state: "" }, "America/Denver"), "America/Denver");
    assert.equal(timeZoneForLead({ state: "ZZ" }, "America/Denver"), "America/Denver");
  });
});

Deno.test("timeZoneForLead() takes the ZIP's zone before the state's", async (t) => {
  const cases: Array<[string, { state: string | null; zip: string | null }, string]> = [
    ["Pensacola, FL 32501 is Central", { state: "FL", zip: "32501" }, "America/Chicago"],
    ["El Paso, TX 79901 is Mountain", { state: "TX", zip: "79901" }, "America/Denver"],
    ["Phoenix, AZ 85001 keeps Arizona's zone", { state: "AZ", zip: "85001" }, "America/Phoenix"],
    ["Boise, ID 83702 is Mountain", { state: "ID", zip: "83702" }, "America/Boise"],
    ["Coeur d'Alene, ID 83814 is Pacific", { state: "ID", zip: "83814" }, "America/Los_Angeles"],
    ["a ZIP+4 is read by its first five", { state: "TX", zip: "79901-1234" }, "America/Denver"],
    [
      "a ZIP the database lacks falls back to the state",
      { state: "PR", zip: "00901" },
      "America/Puerto_Rico",
    ],
    ["a malformed ZIP falls back to the state", { state: "TX", zip: "7990" }, "America/Chicago"],
    ["no ZIP, no state: the shop's zone", { state: null, zip: null }, "America/Denver"],
  ];
  for (const [name, lead, zone] of cases) {
    await t.step(name, () => assert.equal(timeZoneForLead(lead, "America/Denver"), zone));
  }
});

Deno.test("an El Paso customer is not texted at 7:56 Mountain time: Texas counts as Central, the ZIP as Mountain", () => {
  // 7:56 am MST = 8:56 am CST: open by the state, closed by the ZIP.
  const at = new Date("2026-11-25T14:56:00Z");
  const window = (lead: { state: string; zip: string | null }) => ({
    ...denver,
    timeZone: timeZoneForLead(lead, "America/Denver"),
    state: lead.state,
  });
  assert.equal(nextAllowedSendTime(at, window({ state: "TX", zip: null })), at);
  assert.equal(
    nextAllowedSendTime(at, window({ state: "TX", zip: "79901" }))?.toISOString(),
    "2026-11-25T15:00:00.000Z",
  );
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
  const phoenix = { ...denver, timeZone: timeZoneForLead({ state: "AZ", zip: "85001" }, "UTC") };
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
