/**
 * Forms' CAPTCHA end to end: notify-lead deployed with a Turnstile secret (as
 * `supabase secrets set` would), forms submitted as anon with and without a token from the
 * fake Turnstile, and what their customers were texted.
 */
import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { turnstile } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { changeFunctionEnv } from "../support/shared_state.ts";
import { submission, submit } from "../support/forms.ts";
import { FAKE_TURNSTILE_SECRET } from "../../supabase/local/fakes/mod.ts";

await requireStack();

const TURNSTILE_ENV = {
  TURNSTILE_SECRET_KEY: FAKE_TURNSTILE_SECRET,
  TURNSTILE_VERIFY_URL: `${stack.turnstileUrl}/turnstile/v0/siteverify`,
};

Deno.test("with a Turnstile secret set, only a form with a valid, unspent token has its customer texted", async (t) => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _turnstile = await changeFunctionEnv("notify-lead", TURNSTILE_ENV);
    const submitted = async (captcha_token?: string) => {
      const { result, status } = await submit(
        sql,
        submission(captcha_token === undefined ? {} : { captcha_token }),
      );
      assert.equal(status, null, JSON.stringify(result));
      const [lead] = await sql`select id from public.leads
        where reference_number = ${String(result.reference_number)}`;
      return await settledOutbox(sql, lead.id, 3);
    };
    const valid = await turnstile.token();
    await t.step("a valid token: texted", async () => {
      const outbox = await submitted(valid);
      assert.equal(outbox.initial_confirmation_sms.status, "sent");
    });
    const cases: [string, string | undefined, string][] = [
      ["a made-up token", "not-a-turnstile-token", "captcha_failed"],
      ["the same valid token again", valid, "captcha_failed"],
      ["no token at all", undefined, "captcha_missing"],
    ];
    for (const [name, token, reason] of cases) {
      await t.step(`${name}: emailed, not texted (${reason})`, async () => {
        const outbox = await submitted(token);
        assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
        assert.equal(outbox.initial_confirmation_sms.status_reason, reason);
        assert.equal(outbox.customer_confirmation_email.status, "sent");
        assert.equal(outbox.staff_new_lead_email.status, "sent");
      });
    }
    await t.step("the token is kept only until it is checked", async () => {
      const [{ kept }] = await sql`select count(*)::int as kept from public.leads
        where captcha_token = ${valid}`;
      assert.equal(kept, 0);
    });
  } finally {
    await sql.end();
  }
});
