/**
 * The CRM and Slack webhooks, end to end: notify-lead redeployed with WEBHOOK_* set (as
 * `supabase secrets set` would), a lead inserted, the fake receiver checked.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { webhooks } from "../support/fakes.ts";
import { settledOutbox, smsWindowAlwaysOpen } from "../support/notify_lead.ts";
import { addFault, changeFunctionEnv } from "../support/shared_state.ts";
import type { FakeWebhook } from "../../supabase/local/fakes/mod.ts";

await requireStack();

// The Standard Webhooks spec's published test key: a value no real receiver uses.
const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const CRM_TOKEN = "local-crm-token-for-tests";
const WEBHOOK_ENV = {
  WEBHOOK_CRM_URL: `${stack.webhookUrl}/crm/leads`,
  WEBHOOK_CRM_TOKEN: CRM_TOKEN,
  WEBHOOK_SLACK_URL: `${stack.webhookUrl}/slack/T000/B000/XXXX`,
  WEBHOOK_SIGNING_SECRET: SIGNING_SECRET,
};

/** Runs `body` with notify-lead deployed with the webhooks configured, then without again. */
async function withWebhooks(body: () => Promise<void>) {
  await using _webhooks = await changeFunctionEnv("notify-lead", WEBHOOK_ENV);
  await body();
}

async function deliveriesFor(reference: string, path: string): Promise<FakeWebhook[]> {
  return (await webhooks.deliveries()).filter((d) =>
    d.path.startsWith(path) && d.raw_body.includes(reference)
  );
}

Deno.test("a new lead reaches the CRM as the plan's JSON with a bearer token and a verifiable signature, and Slack as a readable message", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withWebhooks(async () => {
      const lead = await insertLead(sql, { first_name: "Maya", last_name: "Lopez <b>" });
      const outbox = await settledOutbox(sql, lead.id, 5);
      assert.equal(outbox.crm_new_lead_webhook.status, "sent");
      assert.equal(outbox.slack_new_lead_webhook.status, "sent");
      assert.match(outbox.crm_new_lead_webhook.recipient, /^CRM \(127\.0\.0\.1:\d+\)$/);
      assert.ok(
        !outbox.slack_new_lead_webhook.recipient.includes("XXXX"),
        "the Slack URL's secret path is not stored in the outbox",
      );

      const [crm] = await deliveriesFor(lead.reference_number, "/crm/leads");
      assert.ok(crm, "the CRM received the lead");
      assert.equal(crm.headers.authorization, `Bearer ${CRM_TOKEN}`);
      assert.equal(crm.headers["webhook-id"], outbox.crm_new_lead_webhook.key);
      new Webhook(SIGNING_SECRET).verify(crm.raw_body, {
        "webhook-id": crm.headers["webhook-id"]!,
        "webhook-timestamp": crm.headers["webhook-timestamp"]!,
        "webhook-signature": crm.headers["webhook-signature"]!,
      });
      const payload = crm.json as Record<string, unknown>;
      assert.deepEqual(
        {
          leadId: payload.leadId,
          referenceNumber: payload.referenceNumber,
          customer: payload.customer,
          vehicle: payload.vehicle,
          service: payload.service,
          location: payload.location,
          withheld: payload.withheld,
        },
        {
          leadId: lead.id,
          referenceNumber: lead.reference_number,
          customer: {
            firstName: "Maya",
            lastName: null,
            phone: lead.phone_e164,
            email: lead.email,
          },
          vehicle: { year: 2019, make: "Subaru", model: "Outback" },
          service: { type: "replacement", mobileService: true, preferredDate: null },
          location: { city: "Denver", state: "CO", zip: "80202" },
          withheld: ["customer.lastName"],
        },
      );
      assert.match(String(payload.timestamp), /^\d{4}-\d\d-\d\dT/);

      const [slack] = await deliveriesFor(lead.reference_number, "/slack/");
      assert.ok(slack, "Slack received a message");
      assert.equal(slack.headers["webhook-signature"], undefined, "Slack posts are not signed");
      const text = (slack.json as { text: string }).text;
      assert.match(
        text,
        /\*Maya \(name withheld: not plain words, see the dashboard\)\*/,
        "a name part that is not plain words is withheld",
      );
      assert.doesNotMatch(text, /Lopez|<b>|&lt;b/);
      assert.match(text, /2019 Subaru Outback - Replacement/);
      assert.match(text, /Priority: (high|normal)/);
      assert.match(text, new RegExp(`Ref: ${lead.reference_number}`));
      assert.match(text, new RegExp(`<tel:\\${lead.phone_e164}\\|`));

      const activities = await sql`
        select activity_type, metadata from public.lead_activities
        where lead_id = ${lead.id} and activity_type like 'webhook_%' order by id`;
      assert.deepEqual(activities.map((a) => [a.activity_type, a.metadata.template]).sort(), [
        ["webhook_sent", "crm_new_lead_webhook"],
        ["webhook_sent", "slack_new_lead_webhook"],
      ]);

      // A phishing line typed as a name and a vehicle: the CRM and Slack do not carry it.
      const phishing = "Your Chase acct is locked. Verify at chase-secure.example/x today!";
      const hostile = await insertLead(sql, {
        first_name: phishing,
        last_name: "Doe",
        vehicle_model: "call 720-555-0199 now",
      });
      await settledOutbox(sql, hostile.id, 5);
      const [hostileCrm] = await deliveriesFor(hostile.reference_number, "/crm/leads");
      const body = hostileCrm.json as Record<string, Record<string, unknown>>;
      assert.equal(body.customer.firstName, null);
      assert.equal(body.customer.lastName, "Doe");
      assert.equal(body.vehicle.model, null);
      assert.deepEqual(body.withheld, ["customer.firstName", "vehicle.model"]);
      const [hostileSlack] = await deliveriesFor(hostile.reference_number, "/slack/");
      const slackText = (hostileSlack.json as { text: string }).text;
      assert.doesNotMatch(slackText, /chase|Verify|720-555-0199/i);
      assert.match(slackText, /\*Doe \(name withheld: not plain words, see the dashboard\)\*/);
      assert.match(slackText, /2019 Subaru - Replacement/);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("without WEBHOOK_* settings no webhook is planned or sent", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.deepEqual(Object.keys(outbox).sort(), [
      "customer_confirmation_email",
      "initial_confirmation_sms",
      "staff_new_lead_email",
    ]);
    assert.equal((await deliveriesFor(lead.reference_number, "/")).length, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("a CRM answering 503 gets the same webhook again, with the same webhook-id, until it accepts", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withWebhooks(async () => {
      await using _fault = await addFault("webhooks", {
        path: "/crm/leads",
        times: 1,
        status: 503,
      });
      const lead = await insertLead(sql);
      const outbox = await settledOutbox(sql, lead.id, 5);
      assert.equal(outbox.crm_new_lead_webhook.status, "sent");
      assert.equal(outbox.crm_new_lead_webhook.attempts, 2);
      const tries = (await webhooks.requests()).filter((r) =>
        r.path.startsWith("/crm/leads") && JSON.stringify(r.body).includes(lead.reference_number)
      );
      assert.deepEqual(tries.map((r) => r.response.status), [503, 200]);
      assert.equal(
        new Set(tries.map((r) => r.headers["webhook-id"])).size,
        1,
        "one webhook-id for both tries",
      );
      assert.equal((await deliveriesFor(lead.reference_number, "/crm/leads")).length, 1);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a CRM refusing the webhook with 400 is not retried: dead, logged as webhook_failed", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await withWebhooks(async () => {
      await using _fault = await addFault("webhooks", {
        path: "/crm/leads",
        times: 1,
        status: 400,
      });
      const lead = await insertLead(sql);
      const outbox = await settledOutbox(sql, lead.id, 5);
      assert.equal(outbox.crm_new_lead_webhook.status, "dead");
      assert.equal(outbox.crm_new_lead_webhook.attempts, 1);
      assert.match(outbox.crm_new_lead_webhook.last_error, /permanent: HTTP 400/);
      assert.equal(outbox.slack_new_lead_webhook.status, "sent", "Slack is not held up by it");
      const [failed] = await sql`
        select metadata from public.lead_activities
        where lead_id = ${lead.id} and activity_type = 'webhook_failed'`;
      assert.equal(failed.metadata.template, "crm_new_lead_webhook");
      assert.equal(failed.metadata.final, true);
    });
  } finally {
    await sql.end();
  }
});
