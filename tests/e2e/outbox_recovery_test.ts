import assert from "node:assert/strict";
import { connect, requireStack, stack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { waitFor } from "../support/wait_for.ts";
import { emailsTo } from "../support/fakes.ts";
import { arrangeLead, outboxOf, sweep } from "../support/notify_lead.ts";
import { createStorageClient } from "../../shared/providers/storage_client.ts";
import { addFault, type Change } from "../support/shared_state.ts";

await requireStack();
const ADMIN = "admin@pinkautoglass.com";

Deno.test("the webhook trigger never fails an insert: with its Vault secret gone, the lead is saved and the sweep notifies it", async () => {
  const sql = connect();
  try {
    const [secret] =
      await sql`select id, decrypted_secret from vault.decrypted_secrets where name = 'project_url'`;
    await sql`delete from vault.secrets where id = ${secret.id}`;
    let lead;
    try {
      lead = await insertLead(sql, { sms_consent: false });
    } finally {
      await sql`select vault.create_secret(${secret.decrypted_secret}, 'project_url')`;
    }
    const [saved] =
      await sql`select notifications_planned_at from public.leads where id = ${lead.id}`;
    assert.equal(
      saved.notifications_planned_at,
      null,
      "saved, not yet planned",
    );
    await sweep();
    await waitFor(
      "the swept lead's customer email",
      async () => (await emailsTo(lead.email)).length === 1,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("a row whose sender died mid-send (lease expired) is taken back by the sweep and sent once", async () => {
  const sql = connect();
  try {
    // A sender claimed the customer email, then crashed: status sending, lease long gone.
    const lead = await arrangeLead(
      sql,
      { sms_consent: false },
      async (lead) => {
        await sql`update public.notifications_outbox set status = 'sending', attempts = 1, lease_until = now() - interval '1 minute'
                where key = ${lead.id + ":customer_confirmation_email"}`;
      },
    );
    await sweep();
    const outbox = await outboxOf(sql, lead.id);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.customer_confirmation_email.attempts, 2);
    assert.equal((await emailsTo(lead.email)).length, 1);
  } finally {
    await sql.end();
  }
});

Deno.test("a row whose sender died on its last attempt is dead-lettered by the sweep, for an admin to replay", async () => {
  const sql = connect();
  try {
    const lead = await arrangeLead(
      sql,
      { sms_consent: false },
      async (lead) => {
        await sql`update public.notifications_outbox set status = 'sending', attempts = max_attempts, lease_until = now() - interval '1 minute'
                where key = ${lead.id + ":customer_confirmation_email"}`;
      },
    );
    const key = lead.id + ":customer_confirmation_email";
    const report = await sweep();
    assert.ok(report.dead_lettered >= 1);
    const [row] =
      await sql`select status, last_error from public.notifications_outbox where key = ${key}`;
    assert.equal(row.status, "dead");
    assert.match(row.last_error, /lease expired on the last attempt/);
    assert.equal((await emailsTo(lead.email)).length, 0);

    // The replay the table comment documents.
    await sql`update public.notifications_outbox set status = 'retry', next_attempt_at = now(), max_attempts = attempts + 1 where key = ${key}`;
    await sweep();
    assert.equal((await emailsTo(lead.email)).length, 1);
  } finally {
    await sql.end();
  }
});

Deno.test("after max attempts of 5xx an email is dead, logged as email_failed, and never sent", async () => {
  const sql = connect();
  let fault: Change | undefined;
  try {
    const lead = await arrangeLead(sql, {
      email: null,
      sms_consent: false,
      source_form: "quick_quote",
    }, async (lead) => {
      await sql`update public.notifications_outbox set max_attempts = 2 where key = ${
        lead.id + ":staff_new_lead_email"
      }`;
      // Scoped to this lead's alert: another test's email must not take it.
      fault = await addFault("resend", {
        path: "/emails",
        bodyContains: lead.reference_number,
        times: 2,
        status: 503,
      });
    });
    const key = lead.id + ":staff_new_lead_email";
    await sweep(); // attempt 1 fails; the sweep lingers for the retry, attempt 2 fails too
    const row = await waitFor(
      "the dead letter",
      async () =>
        (await sql`select status, attempts, last_error from public.notifications_outbox where key = ${key} and status = 'dead'`)[
          0
        ],
    );
    assert.equal(row.attempts, 2);
    assert.match(row.last_error, /gave up after 2 attempts: HTTP 503/);
    const [activity] =
      await sql`select metadata from public.lead_activities where lead_id = ${lead.id} and activity_type = 'email_failed'`;
    assert.equal(activity.metadata.final, true);
  } finally {
    await fault?.restore();
    await sql.end();
  }
});

Deno.test("a failure to write the activity log never stops a message going out", async () => {
  const sql = connect();
  try {
    await sql`alter table public.lead_activities add constraint test_refuse_all check (false) not valid`;
    let lead;
    try {
      lead = await insertLead(sql, { sms_consent: false });
      await waitFor(
        "the customer email despite the broken log",
        async () => (await emailsTo(lead!.email)).length === 1,
      );
      const outbox = await waitFor("the outbox to say sent", async () => {
        const rows = await outboxOf(sql, lead!.id);
        return rows.customer_confirmation_email?.status === "sent" && rows;
      });
      assert.equal(
        outbox.staff_new_lead_email.status === "sent" ||
          outbox.staff_new_lead_email.status === "sending",
        true,
      );
      // Counted while the log still refuses: once it accepts again, this lead's later events
      // (delivery reports, the staff alert's outcome) are logged as usual.
      const [{ n }] =
        await sql`select count(*)::int as n from public.lead_activities where lead_id = ${lead.id}`;
      assert.equal(n, 0, "nothing could be logged, and that was all that failed");
    } finally {
      await sql`alter table public.lead_activities drop constraint test_refuse_all`;
    }
  } finally {
    await sql.end();
  }
});

Deno.test("the staff alert links to the lead's photos with signed Storage URLs that serve the file", async () => {
  const sql = connect();
  try {
    const storage = createStorageClient({
      supabaseUrl: stack.apiUrl,
      serviceRoleKey: stack.serviceRoleKey,
    });
    const photo = new TextEncoder().encode(
      "not really a jpeg, but bytes all the same",
    );
    // The site's API uploads the photos and records them before the webhook is handled.
    const lead = await arrangeLead(
      sql,
      { sms_consent: false },
      async (lead) => {
        const path = `${lead.id}/windshield.jpg`;
        const { error } = await storage.from("lead-photos").upload(
          path,
          photo,
          {
            contentType: "image/jpeg",
          },
        );
        assert.equal(error, null);
        await sql`insert into public.media (lead_id, bucket, object_path, content_type, size_bytes)
                values (${lead.id}, 'lead-photos', ${path}, 'image/jpeg', ${photo.length})`;
      },
      { plan: false },
    );
    await sweep();
    const [alert] = (await emailsTo(ADMIN)).filter((e) => e.html?.includes(lead.reference_number));
    const link = alert.html!.match(
      /href="([^"]*\/storage\/v1\/object\/sign\/lead-photos\/[^"]+)"/,
    )
      ?.[1];
    assert.ok(link, "the alert has a signed link to the photo");
    const res = await fetch(link.replaceAll("&amp;", "&"));
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), photo);
  } finally {
    await sql.end();
  }
});
