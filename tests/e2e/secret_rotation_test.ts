/**
 * Rotating each verified secret over HTTP, step by step as README "Rotating secrets" says, with
 * the functions redeployed between steps as `supabase secrets set` does (every worker replaced):
 * during the overlap a request made with the old value and one made with the new value are both
 * accepted; once `<NAME>_PREVIOUS` is unset the old one is refused. Each test rotates back the
 * same way in `finally`, so the stack is left with its own secrets whatever happened.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { Webhook } from "standardwebhooks";
import { connect, requireStack, stack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { emailsTo, switches, twilio } from "../support/fakes.ts";
import { outboxOf, smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { postAsTwilio, statusParams } from "../support/twilio_inbound.ts";
import { signActionToken, verifyActionToken } from "../../shared/leads/action_links.ts";
import { PUBLISHED_SECRETS } from "../../shared/platform/published_secrets.ts";

await requireStack();

/** Project secrets, set for every function as `supabase secrets set` does. */
const setSecrets = (env: Record<string, string | null>) => switches.functionEnv("notify-lead", env);

/** A value nobody else uses, of the secret's shape. */
const fresh = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;

// --- NOTIFY_WEBHOOK_SECRET: the functions, then Vault ---------------------------------------

async function setVaultSecret(sql: postgres.Sql, value: string) {
  const [row] =
    await sql`select id from vault.decrypted_secrets where name = 'notify_webhook_secret'`;
  await sql`select vault.update_secret(${row.id}, ${value})`;
}

/** What notify-lead and send-reminders answer a caller presenting `secret`. */
async function callersAnswered(secret: string) {
  const post = async (path: string) => {
    const res = await fetch(`${stack.functionsUrl}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-webhook-secret": secret },
      body: "{}",
    });
    await res.body?.cancel();
    return res.status;
  };
  return {
    drain: await post("notify-lead/drain"),
    reminders: await post("send-reminders"),
  };
}

/** A new lead, once the database's webhook (signed from Vault) got it planned. */
async function leadPlannedByWebhook(sql: postgres.Sql) {
  const lead = await insertLead(sql, { sms_consent: false });
  await waitFor(`lead ${lead.reference_number} to be planned by its webhook`, async () => {
    const rows = await outboxOf(sql, lead.id);
    return rows.customer_confirmation_email ? rows : undefined;
  }, { timeoutMs: 20_000 });
}

Deno.test("NOTIFY_WEBHOOK_SECRET rotates without a refused call: functions take both, then Vault moves, then the old one is refused", async () => {
  const sql = connect();
  const OLD = PUBLISHED_SECRETS.NOTIFY_WEBHOOK_SECRET;
  const NEW = fresh("rotated-notify-webhook-secret-");
  const [{ since }] = await sql`select now() as since`;
  try {
    // 1. Functions first: the new value, and the old one as _PREVIOUS.
    await setSecrets({ NOTIFY_WEBHOOK_SECRET: NEW, NOTIFY_WEBHOOK_SECRET_PREVIOUS: OLD });
    assert.deepEqual(await callersAnswered(OLD), { drain: 202, reminders: 200 }, "old accepted");
    assert.deepEqual(await callersAnswered(NEW), { drain: 202, reminders: 200 }, "new accepted");
    await leadPlannedByWebhook(sql); // Vault still sends the old value

    // 2. Vault: the database's webhooks and pg_cron send the new value from now on.
    await setVaultSecret(sql, NEW);
    await leadPlannedByWebhook(sql);

    // 3. _PREVIOUS removed: the old value is refused.
    await setSecrets({ NOTIFY_WEBHOOK_SECRET_PREVIOUS: null });
    assert.deepEqual(await callersAnswered(OLD), { drain: 401, reminders: 401 }, "old refused");
    assert.deepEqual(await callersAnswered(NEW), { drain: 202, reminders: 200 }, "new accepted");
    await leadPlannedByWebhook(sql);

    // Every call the database made meanwhile (webhooks, pg_cron's sweep and reminders) was taken.
    const refused = await sql`select status_code from net._http_response
                              where created >= ${since} and status_code = 401`;
    assert.equal(refused.length, 0, "no webhook or cron call was refused at any step");
  } finally {
    await setSecrets({ NOTIFY_WEBHOOK_SECRET: OLD, NOTIFY_WEBHOOK_SECRET_PREVIOUS: NEW });
    await setVaultSecret(sql, OLD);
    await setSecrets({ NOTIFY_WEBHOOK_SECRET_PREVIOUS: null });
    await sql.end();
  }
});

// --- LEAD_ACTION_SECRET: links already sent stay good until they expire --------------------

async function openLink(token: string) {
  const res = await fetch(`${stack.functionsUrl}/lead-action?t=${token}`);
  await res.body?.cancel();
  return res.status;
}

/** The "I'm on it" token in a lead's staff alert, once the fake Resend has it. */
async function staffAlertToken(reference: string): Promise<string> {
  const alert = await waitFor(
    `the staff alert of ${reference}`,
    async () =>
      (await emailsTo("admin@pinkautoglass.com")).find((e) =>
        e.subject.includes("New Lead") && e.html?.includes(reference)
      ),
    { timeoutMs: 20_000 },
  );
  const match = alert.html?.match(/\/lead-action\?t=([A-Za-z0-9_.-]+)/);
  assert.ok(match, "the staff alert carries an action link");
  return match[1];
}

Deno.test("LEAD_ACTION_SECRET rotates without breaking a link already sent; new links are signed with the new key", async () => {
  const sql = connect();
  const OLD = PUBLISHED_SECRETS.LEAD_ACTION_SECRET;
  const NEW = fresh("rotated-lead-action-secret-");
  const claims = {
    id: crypto.randomUUID(),
    leadId: crypto.randomUUID(),
    staffId: null,
    action: "lead_claimed" as const,
    expiresAt: new Date(Date.now() + 24 * 3600_000),
  };
  const sentBefore = await signActionToken(claims, OLD);
  const signedAfter = await signActionToken({ ...claims, id: crypto.randomUUID() }, NEW);
  try {
    await setSecrets({ LEAD_ACTION_SECRET: NEW, LEAD_ACTION_SECRET_PREVIOUS: OLD });
    assert.equal(await openLink(sentBefore), 200, "a link sent before the rotation works");
    assert.equal(await openLink(signedAfter), 200, "a link signed with the new key works");

    const lead = await insertLead(sql, { sms_consent: false });
    const token = await staffAlertToken(lead.reference_number);
    const now = new Date();
    assert.equal((await verifyActionToken(token, NEW, now)).ok, true, "signed with the new key");
    assert.equal((await verifyActionToken(token, OLD, now)).ok, false, "not with the old one");

    await setSecrets({ LEAD_ACTION_SECRET_PREVIOUS: null });
    assert.equal(await openLink(sentBefore), 403, "the old key's links end with _PREVIOUS");
    assert.equal(await openLink(signedAfter), 200);
    assert.equal(await openLink(token), 200);
  } finally {
    await setSecrets({ LEAD_ACTION_SECRET: OLD, LEAD_ACTION_SECRET_PREVIOUS: null });
    await sql.end();
  }
});

// --- RESEND_WEBHOOK_SECRET: Svix signatures under either key --------------------------------

async function postResendEvent(secrets: string[]) {
  const body = JSON.stringify({
    type: "email.delivered",
    created_at: new Date().toISOString(),
    data: { email_id: `rotation-${crypto.randomUUID()}` },
  });
  const id = `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const now = new Date();
  const res = await fetch(`${stack.functionsUrl}/resend-events`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(Math.floor(now.getTime() / 1000)),
      // While an endpoint's secret rotates, Svix puts one signature per key in the header.
      "svix-signature": secrets.map((s) => new Webhook(s).sign(id, now, body)).join(" "),
    },
    body,
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test("RESEND_WEBHOOK_SECRET rotates without a refused event: old, new and both-signed events are taken, then the old is refused", async () => {
  const OLD = PUBLISHED_SECRETS.RESEND_WEBHOOK_SECRET;
  const NEW = `whsec_${btoa(fresh("rotated-resend-"))}`;
  try {
    await setSecrets({ RESEND_WEBHOOK_SECRET: NEW, RESEND_WEBHOOK_SECRET_PREVIOUS: OLD });
    assert.equal(await postResendEvent([OLD]), 200, "signed with the old secret");
    assert.equal(await postResendEvent([NEW]), 200, "signed with the new secret");
    assert.equal(await postResendEvent([OLD, NEW]), 200, "Svix's rotation header");

    await setSecrets({ RESEND_WEBHOOK_SECRET_PREVIOUS: null });
    assert.equal(await postResendEvent([OLD]), 401, "the old secret is refused");
    assert.equal(await postResendEvent([NEW]), 200);
    assert.equal(await postResendEvent([OLD, NEW]), 200);
  } finally {
    await setSecrets({ RESEND_WEBHOOK_SECRET: OLD, RESEND_WEBHOOK_SECRET_PREVIOUS: null });
  }
});

// --- TWILIO_AUTH_TOKEN: Twilio's secondary token, promoted ----------------------------------

/** A status callback for a message nobody sent, signed with `token`: 200 once it verifies. */
async function statusCallbackSignedWith(token: string) {
  const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
  return (await postAsTwilio(statusParams(sid, "delivered"), { token })).status;
}

/** A customer texts the shop; the fake Twilio signs the webhook with its primary token. */
async function customerText() {
  return (await twilio.inbound({ from: uniquePhone(), body: "Can you come at 9?" })).status;
}

Deno.test("TWILIO_AUTH_TOKEN rotates through Twilio's secondary token without a refused webhook or send", async () => {
  const sql = connect();
  const OLD = PUBLISHED_SECRETS.TWILIO_AUTH_TOKEN;
  const NEW = fresh("").slice(0, 32);
  try {
    // 1. Twilio console: a secondary token. 2. Functions: the secondary, the primary as _PREVIOUS.
    await twilio.authTokens({ secondary: NEW });
    await setSecrets({ TWILIO_AUTH_TOKEN: NEW, TWILIO_AUTH_TOKEN_PREVIOUS: OLD });
    assert.equal(await customerText(), 200, "Twilio still signs with the primary (old) token");
    assert.equal(await statusCallbackSignedWith(NEW), 200, "signed with the new token");

    // Our texts authenticate with the secondary, which Twilio's REST API takes.
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    const sms = await waitFor(`lead ${lead.reference_number}'s text to be sent`, async () => {
      const row = (await outboxOf(sql, lead.id)).initial_confirmation_sms;
      return row && ["sent", "dead", "suppressed"].includes(row.status) ? row : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(sms.status, "sent", sms.last_error);

    // 3. Twilio console: promote the secondary; Twilio signs with the new token.
    await twilio.authTokens({ promote: true });
    assert.equal(await customerText(), 200, "Twilio signs with the promoted token");
    assert.equal(await statusCallbackSignedWith(OLD), 200, "the old token, still in _PREVIOUS");

    // 4. _PREVIOUS removed: the old token is refused.
    await setSecrets({ TWILIO_AUTH_TOKEN_PREVIOUS: null });
    assert.equal(await statusCallbackSignedWith(OLD), 403, "the old token is refused");
    assert.equal(await statusCallbackSignedWith(NEW), 200);
    assert.equal(await customerText(), 200);
  } finally {
    // Back the same way: Twilio takes both, the functions send with the old, it is promoted.
    await twilio.authTokens({ secondary: OLD });
    await setSecrets({ TWILIO_AUTH_TOKEN: OLD, TWILIO_AUTH_TOKEN_PREVIOUS: NEW });
    await twilio.authTokens({ promote: true });
    await setSecrets({ TWILIO_AUTH_TOKEN_PREVIOUS: null });
    await sql.end();
  }
});
