/**
 * Privacy requests against the running stack: export_customer() hands back everything held
 * about a customer, and forget_customer() leaves no row in the public schema naming them but
 * the opt-out on the consent ledger; their waiting messages never reach a provider, even one a
 * sender had already claimed.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import { settledOutbox, sweep } from "../support/notify_lead.ts";
import { inboundParams, postAsTwilio } from "../support/twilio_inbound.ts";
import { inRollback } from "../support/rollback.ts";
import { waitFor } from "../support/wait_for.ts";
import { markOnTheWire, type OutboxRow, settleOutcomes } from "../../shared/outbox/store.ts";
import { smsWindowAlwaysOpen } from "../support/shared_state.ts";

await requireStack();

/** Rows of public tables whose text (any column, cast) contains one of `needles`. */
async function rowsNaming(sql: postgres.Sql, needles: string[]) {
  const tables = await sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
  const patterns = needles.map((n) => `%${n.replaceAll("%", "\\%").replaceAll("_", "\\_")}%`);
  const found: Array<{ table: string; row: string; optOut: boolean }> = [];
  for (const { name } of tables) {
    const rows = await sql<{ row: string; event: string | null }[]>`
      select t::text as row, to_jsonb(t) ->> 'event' as event
      from ${sql("public")}.${sql(name)} t
      where t::text ilike any (${patterns})`;
    for (const r of rows) {
      found.push({
        table: name,
        row: r.row,
        optOut: name === "sms_consent_events" && r.event === "opt_out",
      });
    }
  }
  return found;
}

/** How an admin types a US number: (720) 918-7465. */
function typed(phone: string) {
  return `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
}

/** The shop's SMS window, opened around the clock for the test and put back after. */
async function withSmsWindowOpen<T>(sql: postgres.Sql, fn: () => Promise<T>) {
  await using _window = await smsWindowAlwaysOpen(sql);
  return await fn();
}

/** Waits until none of the lead's messages is waiting or being sent. */
function quietOutbox(sql: postgres.Sql, leadId: string) {
  return waitFor(`lead ${leadId}'s messages to settle`, async () => {
    const [row] = await sql`
      select count(*) filter (where status in ('pending', 'sending', 'retry'))::int as busy,
             count(*)::int as n
      from public.notifications_outbox where lead_id = ${leadId}`;
    return row.n > 0 && row.busy === 0;
  }, { timeoutMs: 30_000 });
}

Deno.test("a customer who asked: export_customer() gives every Ref and message, forget_customer() leaves nothing naming them but the opt-out, and their waiting messages never go", async (t) => {
  const sql = connect();
  try {
    await withSmsWindowOpen(sql, async () => {
      // The customer: a lead whose confirmations went, a second lead with the same email and
      // another phone, an appointment, a photo, texts back, then STOP.
      const lead = await insertLead(sql, { notes: "Chip near the wiper, call after 5" });
      const phone = lead.phone_e164!;
      const email = lead.email!;
      await settledOutbox(sql, lead.id, 3);
      await waitFor(
        "the confirmations at the fakes",
        async () => (await smsTo(phone)).length === 1 && (await emailsTo(email)).length === 1,
      );
      const second = await insertLead(sql, { email, first_name: "Janet" });
      const otherPhone = second.phone_e164!;
      await quietOutbox(sql, second.id);
      const [{ day }] = await sql`
        select to_char((now() at time zone 'America/Denver')::date + 3, 'YYYY-MM-DD') as day`;
      await sql`select public.schedule_appointment(${lead.reference_number}, ${`${day} 09:00`},
                                                    '9-11 am', 'Sam')`;
      await waitFor("the appointment's messages", async () => {
        const rows = await sql`
          select 1 from public.notifications_outbox
          where lead_id = ${lead.id} and template like 'appointment_confirmation_%'
            and status in ('sent', 'suppressed')`;
        return rows.length === 2;
      }, { timeoutMs: 30_000 });
      await sql`insert into public.media (lead_id, object_path, content_type)
                values (${lead.id}, ${`${lead.id}/windshield.jpg`}, 'image/jpeg')`;
      const question = `Can you come at 9? Or email me at ${email}`;
      assert.equal((await postAsTwilio(inboundParams(phone, question))).status, 200);
      assert.equal((await postAsTwilio(inboundParams(phone, "STOP"))).status, 200);
      await quietOutbox(sql, lead.id);
      await sql`insert into public.email_suppressions (address, reason, detail, lead_id)
                values (${email}, 'email_bounced', ${`550 ${email}: mailbox full`}, ${lead.id})`;
      await sql`insert into public.sms_unreachable_phones (phone_e164, error_code, reason)
                values (${otherPhone}, 30006, 'landline')`;
      await sql`insert into public.form_submissions (client_ip, phone_e164) values ('203.0.113.9', ${phone})`;

      // Waiting messages: one deferred, one claimed by a sender that has not yet called.
      const [deferred] = await sql`
        insert into public.notifications_outbox
          (key, lead_id, channel, template, recipient, status, status_reason, next_attempt_at)
        values (${`${lead.id}:appointment_reminder_email:test`}, ${lead.id}, 'email',
                'appointment_reminder_email', ${email}, 'deferred', 'quiet_hours', now() + interval '1 hour')
        returning id`;
      const token = crypto.randomUUID();
      const [claimed] = await sql<OutboxRow[]>`
        insert into public.notifications_outbox
          (key, lead_id, channel, template, recipient, status, attempts, lease_until, lease_token,
           claimed_at, last_error)
        values (${`${lead.id}:customer_confirmation_email:test`}, ${lead.id}, 'email',
                'customer_confirmation_email', ${email}, 'sending', 1, now() + interval '20 seconds',
                ${token}, now(), ${`422: ${email} refused once`})
        returning *`;

      // What the database holds that the export must list: messages to them, and about them.
      const contacts = [email, phone, otherPhone];
      const toThem = await sql<{ key: string }[]>`
        select key from public.notifications_outbox where recipient in ${
        sql(contacts)
      } order by key`;
      const [{ held }] = await sql`
        select count(*)::int as held from public.notifications_outbox
        where lead_id in (${lead.id}, ${second.id}) or recipient in ${sql(contacts)}
           or payload ->> 'inbound_sms_id' in (
             select id::text from public.sms_inbound_messages where from_phone = ${phone})`;
      const emailsBefore = (await emailsTo(email)).length;
      const textsBefore = (await smsTo(phone)).length + (await smsTo(otherPhone)).length;

      await t.step(
        "export_customer() holds every Ref, message, text and consent event",
        async () => {
          const [{ export: x }] = await sql`select public.export_customer(${email}) as export`;
          assert.deepEqual(
            x.leads.map((l: { reference_number: string }) => l.reference_number),
            [lead.reference_number, second.reference_number],
          );
          assert.deepEqual(x.emails, [email]);
          assert.deepEqual([...x.phones].sort(), [phone, otherPhone].sort());
          assert.deepEqual(
            x.messages_sent.map((m: { key: string }) => m.key).sort(),
            toThem.map((m) => m.key),
            "every message to them",
          );
          assert.ok(toThem.length >= 7, `messages to them: ${JSON.stringify(toThem)}`);
          assert.equal(
            x.messages_sent.length + x.messages_about_them.length,
            held,
            "every message to them or about them",
          );
          const sms = x.messages_sent.find((m: { template: string }) =>
            m.template === "initial_confirmation_sms"
          );
          assert.equal(sms.status, "sent");
          assert.ok(sms.sent_at);
          const stopReply = x.messages_sent.find((m: { template: string }) =>
            m.template === "opt_out_confirmation_sms"
          );
          assert.ok(stopReply.body.length > 0, "a reply answered in TwiML keeps its words");
          assert.deepEqual(x.texts_received.map((m: { body: string }) => m.body), [
            question,
            "STOP",
          ]);
          assert.deepEqual(
            x.consent_history.filter((e: { phone: string }) => e.phone === phone).map((
              e: { event: string },
            ) => e.event),
            ["opt_in", "opt_out"],
          );
          assert.equal(x.appointments.length, 1);
          assert.equal(x.appointments[0].ref, lead.reference_number);
          assert.equal(x.photos[0].path, `${lead.id}/windshield.jpg`);
          assert.equal(x.email_suppressions[0].address, email);
          assert.equal(x.unreachable_phones[0].phone, otherPhone);
          const byPhone = await sql`select public.export_customer(${typed(phone)}) as export`;
          assert.deepEqual(byPhone[0].export.leads.length, 2, "the phone finds both leads too");
        },
      );

      let result: Record<string, unknown> = {};
      await t.step(
        "forget_customer() by the phone as typed removes everything naming them",
        async () => {
          [{ result }] = await sql`select public.forget_customer(${typed(phone)}) as result`;
          assert.equal(result.forgotten, true);
          assert.deepEqual(result.refs, [lead.reference_number, second.reference_number]);
          assert.equal(result.leads, 2);
          assert.equal(result.appointments, 1);
          assert.equal(result.media, 1);
          assert.equal(result.sms_inbound_messages, 2);
          assert.equal(result.email_suppressions, 1);
          assert.equal(result.sms_unreachable_phones, 1);
          assert.equal(result.form_submissions, 1);
          const outbox = result.notifications_outbox as Record<string, number>;
          assert.equal(outbox.cancelled, 2, JSON.stringify(result));
          assert.equal(outbox.anonymised, held, "each message to or about them, kept as a count");
          assert.deepEqual(result.sms_consent_events, {
            opt_ins_deleted: 2,
            opt_outs_anonymised: 1,
            opt_outs_kept: 1,
          });
          assert.doesNotMatch(JSON.stringify(result), new RegExp(`${phone.slice(1)}|${email}`));

          const naming = await rowsNaming(sql, [phone, phone.slice(2), otherPhone, email]);
          assert.deepEqual(
            naming.filter((r) => !r.optOut),
            [],
            "no row names them but the ledger's opt-out",
          );
          const optOuts = naming.filter((r) => r.optOut);
          assert.equal(optOuts.length, 1, JSON.stringify(naming));
          const [status] = await sql`
          select may_text, last_source from public.sms_consent_status where phone_e164 = ${phone}`;
          assert.equal(status.may_text, false, "the phone stays stopped");
          assert.equal(status.last_source, "sms_keyword");
          const [queued] = await sql`
          select bucket, reason from public.storage_deletions where object_path = ${`${lead.id}/windshield.jpg`}`;
          assert.deepEqual({ ...queued }, { bucket: "lead-photos", reason: "forgotten" });
        },
      );

      await t.step("their waiting messages never go, even one a sender had claimed", async () => {
        const [row] = await sql`
          select status, status_reason, recipient, lead_id from public.notifications_outbox
          where id = ${deferred.id}`;
        assert.deepEqual({ ...row }, {
          status: "suppressed",
          status_reason: "forgotten",
          recipient: null,
          lead_id: null,
        });
        // The sender that held the lease goes on as drain.ts does: it may put on the wire only
        // rows still leased to it, and settles only those.
        const wired = await markOnTheWire(sql, [{ row: claimed, ref: "test-batch" }]);
        assert.equal(wired.size, 0, "the claimed message is not put on the wire");
        const owned = await sql.begin((tx) =>
          settleOutcomes(tx, [{
            row: claimed,
            kind: "sent",
            provider: "resend",
            providerMessageId: "late",
          }])
        );
        assert.equal(owned.size, 0, "a late outcome is not applied");
        // Their time comes, and a sweep runs: still nothing goes.
        await sql`update public.notifications_outbox set next_attempt_at = now()
                  where id in (${deferred.id}, ${claimed.id})`;
        await sweep();
        assert.equal((await emailsTo(email)).length, emailsBefore);
        assert.equal((await smsTo(phone)).length + (await smsTo(otherPhone)).length, textsBefore);
        const [after] =
          await sql`select status from public.notifications_outbox where id = ${claimed.id}`;
        assert.equal(after.status, "suppressed");
      });

      await t.step(
        "a provider's late report about a forgotten message keeps no address",
        async () => {
          const svixId = `msg_${crypto.randomUUID()}`;
          await sql`
          insert into public.resend_events (svix_id, event_type, email_id, outbox_id, payload)
          values (${svixId}, 'email.opened', 'late', ${deferred.id},
                  ${sql.json({ type: "email.opened", data: { to: [email] } })})`;
          const [row] =
            await sql`select payload from public.resend_events where svix_id = ${svixId}`;
          assert.deepEqual(row.payload, { type: "email.opened", forgotten: true });
        },
      );

      await t.step("a second call finds nothing and says so", async () => {
        for (const who of [phone, email, otherPhone]) {
          const [{ again }] = await sql`select public.forget_customer(${who}) as again`;
          assert.equal(again.forgotten, false, JSON.stringify(again));
          assert.match(again.message, /^Nothing held about /);
        }
        const [{ again }] = await sql`select public.forget_customer(${phone}) as again`;
        assert.match(again.message, /its opt-out is kept/);
        const [{ x }] = await sql`select public.export_customer(${email}) as x`;
        assert.deepEqual(x.leads, []);
        assert.deepEqual(x.messages_sent, []);
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("forget_customer() and export_customer() refuse input that is not one email or phone, with a clear error", async (t) => {
  const sql = connect();
  try {
    const cases: Array<[string | null, RegExp]> = [
      [null, /^Give the customer's email address or phone number\.$/],
      ["", /^Give the customer's email address or phone number\.$/],
      ["   ", /^Give the customer's email address or phone number\.$/],
      ["jane", /^"jane" is neither an email address nor a phone number\.$/],
      ["jane 720-918-7465", /is neither an email address nor a phone number/],
      ["jane@", /^Email "jane@" is not a valid email address\.$/],
      ["jane@example", /^Email "jane@example" is not a valid email address\.$/],
      ["918-7465", /^Phone "918-7465" is not a phone number we can read\.$/],
      ["+0720918", /is not a phone number we can read/],
    ];
    for (const fn of ["forget_customer", "export_customer"]) {
      for (const [input, message] of cases) {
        await t.step(`${fn}(${JSON.stringify(input)})`, async () => {
          await assert.rejects(
            sql`select ${sql(fn)}(${input}::text)`.then(() => {}),
            (err: postgres.PostgresError) => {
              assert.match(err.message, message);
              assert.equal(err.code, "22023");
              return true;
            },
          );
        });
      }
    }
    await t.step("a well-formed email or phone nobody gave is not an error", async () => {
      const [{ r }] = await sql`select public.forget_customer('Nobody.Here@Example.com') as r`;
      assert.deepEqual({ forgotten: r.forgotten, message: r.message }, {
        forgotten: false,
        message: "Nothing held about n***@example.com.",
      });
      const [{ x }] = await sql`select public.export_customer('1 (555) 010-9999') as x`;
      assert.deepEqual(x.phones, ["+15550109999"]);
      assert.deepEqual(x.leads, []);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("only the dashboard and the service role may run a privacy request: anon and authenticated may not", async (t) => {
  const sql = connect();
  try {
    for (const role of ["anon", "authenticated"]) {
      for (const fn of ["forget_customer", "export_customer"]) {
        await t.step(`${role} cannot execute ${fn}`, async () => {
          await assert.rejects(
            inRollback(sql, async (tx) => {
              await tx`set local role ${tx(role)}`;
              await tx`select public.${tx(fn)}('jane@example.com')`;
            }),
            (err: postgres.PostgresError) => {
              assert.equal(err.code, "42501", err.message);
              return true;
            },
          );
        });
      }
    }
    await t.step("service_role can", async () => {
      const said = await inRollback(sql, async (tx) => {
        await tx`set local role service_role`;
        const [{ r }] = await tx`select public.forget_customer('nobody.else@example.com') as r`;
        const [{ x }] = await tx`select public.export_customer('nobody.else@example.com') as x`;
        return [r.forgotten, x.leads];
      });
      assert.deepEqual(said, [false, []]);
    });
  } finally {
    await sql.end();
  }
});
