import assert from "node:assert/strict";
import { formatPhoneForDisplay, smsReachability, toE164 } from "../../shared/compliance/phone.ts";

Deno.test("toE164() normalises what a form typed to E.164", async (t) => {
  await t.step("US numbers in any common format", () => {
    for (const typed of ["(720) 918-7465", "720.918.7465", "720-918-7465", "1 720 918 7465"]) {
      assert.equal(toE164(typed), "+17209187465", typed);
    }
  });
  await t.step("a number that already has a country code keeps it", () => {
    assert.equal(toE164("+44 20 7946 0958"), "+442079460958");
  });
  await t.step("the default country applies to numbers without a country code", () => {
    assert.equal(toE164("020 7946 0958", "GB"), "+442079460958");
  });
  await t.step("Twilio's magic test numbers are valid", () => {
    for (const magic of ["+15005550001", "+15005550009", "+15005550004"]) {
      assert.equal(toE164(magic), magic);
    }
  });
  await t.step("empty or invalid input gives null", () => {
    for (const typed of [null, undefined, "", "   ", "12345", "not a phone", "+1 555 555 5555"]) {
      assert.equal(toE164(typed), null, String(typed));
    }
  });
});

Deno.test("smsReachability() says whether a number can be texted, and why not", async (t) => {
  await t.step("a US number can", () => {
    assert.deepEqual(smsReachability("+17209187465"), { ok: true });
  });
  await t.step("a Canadian number can by default", () => {
    assert.deepEqual(smsReachability("+16135550123"), { ok: true });
  });
  await t.step("Twilio's magic test numbers pass: rejecting them is the provider's job", () => {
    for (const magic of ["+15005550001", "+15005550009", "+15005550004"]) {
      assert.deepEqual(smsReachability(magic), { ok: true }, magic);
    }
  });
  await t.step("no number is missing_phone", () => {
    for (const phone of [null, undefined, "", "  "]) {
      assert.deepEqual(smsReachability(phone), { ok: false, reason: "missing_phone" });
    }
  });
  await t.step("a malformed or non-E.164 number is invalid_phone", () => {
    for (const phone of ["+1555", "+15555555555", "7209187465", "+1 720 918 7465", "phone"]) {
      assert.deepEqual(smsReachability(phone), { ok: false, reason: "invalid_phone" }, phone);
    }
  });
  await t.step("a toll-free number is not_mobile_capable", () => {
    assert.deepEqual(smsReachability("+18005551234"), {
      ok: false,
      reason: "not_mobile_capable",
    });
  });
  await t.step("a landline where the metadata knows it is not_mobile_capable", () => {
    assert.deepEqual(smsReachability("+442079460958", { allowedCountries: ["GB"] }), {
      ok: false,
      reason: "not_mobile_capable",
    });
  });
  await t.step("a +1 number outside the allowed countries is unsupported_country", () => {
    assert.deepEqual(smsReachability("+18765550123"), {
      ok: false,
      reason: "unsupported_country",
    });
  });
});

Deno.test("formatPhoneForDisplay() shows US numbers nationally and others internationally", () => {
  assert.equal(formatPhoneForDisplay("+17209187465"), "(720) 918-7465");
  assert.equal(formatPhoneForDisplay("+442079460958"), "+44 20 7946 0958");
  assert.equal(formatPhoneForDisplay("garbage"), "garbage");
});
