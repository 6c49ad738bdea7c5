import assert from "node:assert/strict";
import { calculateLeadPriority } from "../../shared/compliance/priority.ts";
import { makeLead } from "./_fixtures.ts";

// 9:31 am in Denver on Wednesday, Nov 25, 2026.
const now = new Date("2026-11-25T16:31:00Z");

const plain = makeLead({
  service_type: "repair",
  mobile_service: false,
  preferred_date: null,
  vehicle_make: "Honda",
});

Deno.test("calculateLeadPriority() scores a lead as docs/plan.md §4.2 does", async (t) => {
  await t.step("a plain repair is normal", () => {
    assert.equal(calculateLeadPriority(plain, { mediaCount: 0, now }), "normal");
  });
  await t.step("replacement (3) with photos (2) reaches 5: high", () => {
    const lead = { ...plain, service_type: "replacement" as const };
    assert.equal(calculateLeadPriority(lead, { mediaCount: 0, now }), "normal");
    assert.equal(calculateLeadPriority(lead, { mediaCount: 2, now }), "high");
  });
  await t.step("repair (1) + photos (2) + mobile (1) is 4: normal", () => {
    const lead = { ...plain, mobile_service: true };
    assert.equal(calculateLeadPriority(lead, { mediaCount: 1, now }), "normal");
  });
  await t.step("repair + photos + mobile + premium make is 5: high", () => {
    for (const make of ["BMW", "Mercedes-Benz", "mercedes benz", " Tesla ", "LEXUS", "Audi"]) {
      const lead = { ...plain, mobile_service: true, vehicle_make: make };
      assert.equal(calculateLeadPriority(lead, { mediaCount: 1, now }), "high", make);
    }
  });
  await t.step("a preferred date starting within 48 hours adds 2", () => {
    const lead = { ...plain, mobile_service: true, preferred_date: "2026-11-27" };
    assert.equal(calculateLeadPriority(lead, { mediaCount: 1, now }), "high");
  });
  await t.step("a preferred date three days away adds nothing", () => {
    const lead = { ...plain, mobile_service: true, preferred_date: "2026-11-28" };
    assert.equal(calculateLeadPriority(lead, { mediaCount: 1, now }), "normal");
  });
  await t.step("a preferred date already past counts as urgent", () => {
    const lead = { ...plain, mobile_service: true, preferred_date: "2026-11-20" };
    assert.equal(calculateLeadPriority(lead, { mediaCount: 1, now }), "high");
  });
  await t.step("the preferred date's midnight is taken in the given time zone", () => {
    const early = new Date("2026-11-25T08:00:00Z");
    const lead = { ...plain, mobile_service: true, preferred_date: "2026-11-27" };
    // Midnight Nov 27 is 47 h away in Denver, 50 h away in Honolulu.
    const denver = calculateLeadPriority(lead, { mediaCount: 1, now: early });
    const honolulu = calculateLeadPriority(lead, {
      mediaCount: 1,
      now: early,
      timeZone: "Pacific/Honolulu",
    });
    assert.equal(denver, "high");
    assert.equal(honolulu, "normal");
  });
  await t.step("the typical full booking fixture is high", () => {
    assert.equal(calculateLeadPriority(makeLead(), { mediaCount: 0, now }), "high");
  });
});
