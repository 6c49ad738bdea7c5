import assert from "node:assert/strict";
import {
  type ActionClaims,
  actionLinkUrl,
  signActionToken,
  verifyActionToken,
} from "../../shared/leads/action_links.ts";

const secret = "test-secret-that-is-long-enough-for-hmac-sha256";
const claims: ActionClaims = {
  id: "5f0c6a9e-2b8e-4f5e-9d7a-1c3b2a4d6e8f",
  leadId: "0b6f4a52-8c8e-4c1e-9a59-2f1f7d6d3a10",
  staffId: "9d2e7c41-6a3b-4f18-8e5d-7b1c0a2f3e49",
  action: "call_made",
  expiresAt: new Date("2026-11-26T16:31:00Z"),
};
const beforeExpiry = new Date("2026-11-25T16:31:00Z");

const encode = (text: string) =>
  new TextEncoder().encode(text).toBase64({ alphabet: "base64url", omitPadding: true });
const decode = (part: string) =>
  new TextDecoder().decode(Uint8Array.fromBase64(part, { alphabet: "base64url" }));

/** A token whose signature is genuine over any body text, to test what comes after the check. */
async function signedBody(body: string, key = secret): Promise<string> {
  const hmac = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(body));
  return `${body}.${
    new Uint8Array(signature).toBase64({ alphabet: "base64url", omitPadding: true })
  }`;
}

Deno.test("an action token round-trips its claims", async (t) => {
  await t.step("for a staff member", async () => {
    const token = await signActionToken(claims, secret);
    assert.deepEqual(await verifyActionToken(token, secret, beforeExpiry), { ok: true, claims });
  });
  await t.step("for the admin inbox (no staff id)", async () => {
    const inbox: ActionClaims = { ...claims, staffId: null, action: "lead_claimed" };
    const token = await signActionToken(inbox, secret);
    assert.deepEqual(await verifyActionToken(token, secret, beforeExpiry), {
      ok: true,
      claims: inbox,
    });
  });
  await t.step("the payload is compact JSON with the expiry in epoch seconds", async () => {
    const [body] = (await signActionToken(claims, secret)).split(".");
    assert.equal(
      decode(body),
      `{"id":"${claims.id}","leadId":"${claims.leadId}","staffId":"${claims.staffId}",` +
        `"action":"call_made","exp":1795710660}`,
    );
  });
  await t.step("an expiry with milliseconds is cut to the second", async () => {
    const token = await signActionToken(
      { ...claims, expiresAt: new Date("2026-11-26T16:31:00.900Z") },
      secret,
    );
    const check = await verifyActionToken(token, secret, beforeExpiry);
    assert.equal(check.ok && check.claims.expiresAt.toISOString(), "2026-11-26T16:31:00.000Z");
  });
});

Deno.test("verifyActionToken() refuses a token changed or signed with another secret as forged", async (t) => {
  const token = await signActionToken(claims, secret);
  const [body, signature] = token.split(".");
  const otherLead = encode(
    decode(body).replace(claims.leadId, "11111111-1111-4111-8111-111111111111"),
  );
  const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
  const cases: Array<[string, string, string]> = [
    ["another lead id under the old signature", `${otherLead}.${signature}`, secret],
    ["a changed signature", `${body}.${flipped}`, secret],
    ["the right token, the wrong secret", token, "another-secret"],
    ["a payload that is not even JSON, with a bad signature", `bm90IGpzb24.${signature}`, secret],
  ];
  for (const [name, candidate, key] of cases) {
    await t.step(name, async () => {
      assert.deepEqual(await verifyActionToken(candidate, key, beforeExpiry), {
        ok: false,
        reason: "forged",
      });
    });
  }
});

Deno.test("verifyActionToken() refuses a link at and after its expiry", async (t) => {
  const token = await signActionToken(claims, secret);
  const cases: Array<[string, string, boolean]> = [
    ["a millisecond before", "2026-11-26T16:30:59.999Z", true],
    ["at the expiry itself", "2026-11-26T16:31:00.000Z", false],
    ["a second after", "2026-11-26T16:31:01.000Z", false],
  ];
  for (const [name, iso, ok] of cases) {
    await t.step(name, async () => {
      const check = await verifyActionToken(token, secret, new Date(iso));
      assert.deepEqual(check.ok ? "ok" : check.reason, ok ? "ok" : "expired");
    });
  }
});

Deno.test("verifyActionToken() calls anything that is not one of its tokens malformed", async (t) => {
  const [body, signature] = (await signActionToken(claims, secret)).split(".");
  const payload = (fields: Record<string, unknown>) =>
    encode(JSON.stringify({ ...JSON.parse(decode(body)), ...fields }));
  const cases: Array<[string, string | Promise<string>]> = [
    ["an empty string", ""],
    ["a.b", "a.b"],
    ["no dot", body + signature],
    ["three parts", `${body}.${signature}.${signature}`],
    ["no payload", `.${signature}`],
    ["no signature", `${body}.`],
    ["a short signature", `${body}.${signature.slice(0, 20)}`],
    ["characters outside base64url", `${body}.${signature.slice(0, -2)}+/`],
    ["a padded signature", `${body}.${signature}=`],
    ["a signature with a space", `${body}.${signature.slice(0, 10)} ${signature.slice(10)}`],
    ["a signed payload that is not base64url", signedBody("not*base64")],
    ["a signed payload that is not JSON", signedBody(encode("not json"))],
    ["a signed JSON array", signedBody(encode("[1,2]"))],
    ["a signed unknown action", signedBody(payload({ action: "lead_deleted" }))],
    ["a signed payload without an expiry", signedBody(payload({ exp: undefined }))],
    ["a signed expiry as text", signedBody(payload({ exp: "1795710660" }))],
    ["a signed numeric staff id", signedBody(payload({ staffId: 7 }))],
    ["a signed empty lead id", signedBody(payload({ leadId: "" }))],
  ];
  for (const [name, candidate] of cases) {
    await t.step(name, async () => {
      assert.deepEqual(await verifyActionToken(await candidate, secret, beforeExpiry), {
        ok: false,
        reason: "malformed",
      });
    });
  }
});

Deno.test("actionLinkUrl() puts the token on the lead-action function's URL", async (t) => {
  const cases: Array<[string, string]> = [
    ["without a trailing slash", "http://127.0.0.1:54321/functions/v1"],
    ["with a trailing slash", "http://127.0.0.1:54321/functions/v1/"],
  ];
  for (const [name, baseUrl] of cases) {
    await t.step(name, () => {
      assert.equal(
        actionLinkUrl(baseUrl, "eyJpZCI6IngifQ.c2ln"),
        "http://127.0.0.1:54321/functions/v1/lead-action?t=eyJpZCI6IngifQ.c2ln",
      );
    });
  }
});
