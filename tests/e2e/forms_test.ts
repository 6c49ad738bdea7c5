/**
 * What a web form can do with the public anon key, tried as a customer and as an attacker
 * would: `submit_lead` as PostgREST calls it (role anon, its JWT claims set), direct inserts
 * from old forms, and what the messages of a hostile lead look like at the fake providers.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead, newLead } from "../support/fixtures.ts";
import { emailsTo, smsTo } from "../support/fakes.ts";
import {
  allowRepeatSubmissions,
  settledOutbox,
  smsWindowAlwaysOpen,
} from "../support/notify_lead.ts";
import { smsCost } from "../../templates/sms/segments.ts";
import { switches } from "../support/fakes.ts";
import { planLeadsNotifications } from "../../shared/notify_lead/plan.ts";
import { messageSetup } from "../../shared/messages/setup.ts";
import { notifyLeadConfig } from "../support/notify_lead.ts";
import { inboundParams, postAsTwilio } from "../support/twilio_inbound.ts";
import {
  asAnon,
  freshClientIp,
  from,
  type Submission,
  submission,
  submit,
} from "../support/forms.ts";
import { changeSettings } from "../support/shared_state.ts";

await requireStack();

type Sql = postgres.Sql;

async function leadByEmail(sql: Sql, email: unknown) {
  const [lead] = await sql`select * from public.leads where email = ${String(email)}`;
  return lead;
}

Deno.test("submit_lead saves a valid lead as anon and gives back only its reference and whether it will text", async () => {
  const sql = connect();
  try {
    const args = submission({ phone: "(720) 555-" + String(Date.now()).slice(-4) });
    const { result, status } = await submit(sql, args);
    assert.deepEqual(Object.keys(result).sort(), ["reference_number", "will_text"]);
    assert.match(String(result.reference_number), /^PAG-\d{6}-\d{4,}$/);
    assert.equal(result.will_text, true);
    assert.equal(status, null, "no error status for PostgREST to send");
    const lead = await leadByEmail(sql, args.email);
    assert.equal(lead.reference_number, result.reference_number);
    assert.equal(lead.phone_e164, `+1720555${String(args.phone).slice(-4)}`, "typed as people do");
    const [wording] = await sql`
      select version, wording from public.sms_consent_wordings
      where retired_at is null order by introduced_at desc limit 1`;
    assert.equal(lead.sms_consent_version, wording.version);
    assert.equal(lead.sms_consent_text, wording.wording);
    assert.equal(lead.sms_consent_source, "web_form_checkbox");
    assert.ok(lead.sms_consent_at instanceof Date);
  } finally {
    await sql.end();
  }
});

Deno.test("submit_lead refuses each bad field with its name and a message a form shows next to it", async (t) => {
  const sql = connect();
  try {
    const [{ today }] = await sql`
      select (now() at time zone time_zone)::date::text as today from public.business_settings`;
    const cases: Array<[string, Submission, string, RegExp]> = [
      [
        "a 101-character first name",
        { first_name: "J".repeat(101) },
        "first_name",
        /First name is too long \(100/,
      ],
      [
        "a 101-character last name",
        { last_name: "D".repeat(101) },
        "last_name",
        /Last name is too long/,
      ],
      [
        "a 51-character vehicle make",
        { vehicle_make: "Ж".repeat(51) },
        "vehicle_make",
        /Vehicle make is too long \(50/,
      ],
      [
        "a 51-character vehicle model",
        { vehicle_model: "M".repeat(51) },
        "vehicle_model",
        /Vehicle model is too long/,
      ],
      [
        "a 201-character address",
        { address: "A".repeat(201) },
        "address",
        /Address is too long \(200/,
      ],
      ["a 101-character city", { city: "C".repeat(101) }, "city", /City is too long/],
      ["a 2,001-character note", { notes: "n".repeat(2001) }, "notes", /Notes is too long \(2000/],
      ["state ZZ", { state: "ZZ" }, "state", /not a US state or territory/],
      ["a four-digit ZIP", { zip: "8020" }, "zip", /ZIP code "8020" is not valid/],
      [
        "a date in 9999",
        { preferred_date: "9999-12-31" },
        "preferred_date",
        /more than a year ahead/,
      ],
      ["a date in 1900", { preferred_date: "1900-01-01" }, "preferred_date", /in the past/],
      ["yesterday", { preferred_date: yesterdayOf(today) }, "preferred_date", /in the past/],
      ["the shop's own phone", { phone: "+17209187465" }, "phone_e164", /our own number/],
      ["the shop's texting number", { phone: "+17205550100" }, "phone_e164", /our own number/],
      ["a number no phone can have", { phone: "+11234567890" }, "phone_e164", /not a valid phone/],
      [
        "no way to reach them",
        { phone: null, email: null, sms_consent: false },
        "email",
        /email address or a phone/,
      ],
      ["a bad email", { email: "jane@" }, "email", /not a valid email/],
      ["an unknown service", { service_type: "detailing" }, "service_type", /not one we offer/],
      [
        "a consent wording never shown",
        { sms_consent_version: "v99" },
        "sms_consent_version",
        /not one we have shown/,
      ],
      ["a blank name", { first_name: "\u200b " }, "first_name", /Please give a first name/],
    ];
    for (const [name, overrides, field, message] of cases) {
      await t.step(name, async () => {
        const args = submission(overrides);
        const err = await submit(sql, args).then(
          () => undefined,
          (e) => e as postgres.PostgresError,
        );
        assert.ok(err, "the submission should have been refused");
        assert.equal(err.code, "23514");
        assert.equal(err.detail, field, "the field, as supabase-js shows it in error.details");
        assert.equal(err.column_name, field);
        assert.match(err.message, message);
        assert.match(err.hint ?? "", /Example of a valid/);
        if (args.email) {
          assert.equal(await leadByEmail(sql, args.email), undefined, "nothing saved");
        }
      });
    }
  } finally {
    await sql.end();
  }
});

function yesterdayOf(isoDay: string): string {
  const day = new Date(`${isoDay}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10);
}

Deno.test("a filled honeypot, a form sent in under 3 s, one rendered over a day ago or never: refused, logged, nothing sent", async (t) => {
  const sql = connect();
  try {
    const cases: Array<[string, Submission, string]> = [
      ["the honeypot filled in", { honeypot: "http://spam.example" }, "honeypot"],
      ["sent a second after rendering", { form_rendered_at: new Date().toISOString() }, "too_fast"],
      ["rendered two days ago", {
        form_rendered_at: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      }, "stale"],
      ["no render time", { form_rendered_at: null }, "no_render_time"],
    ];
    for (const [name, overrides, reason] of cases) {
      await t.step(name, async () => {
        const args = submission(overrides);
        const [{ before }] =
          await sql`select coalesce(max(id), 0) as before from public.form_refusals`;
        const ip = freshClientIp();
        const { result, status } = await submit(sql, args, from(ip));
        assert.equal(status, "400", "PostgREST answers 400, so supabase-js reports an error");
        assert.match(
          String(result.message),
          /could not take this request online.*\(720\) 918-7465/,
        );
        assert.equal(result.reference_number, undefined);
        assert.equal(await leadByEmail(sql, args.email), undefined, "no lead, so nothing is sent");
        const logged = await sql`
          select reason, source_form, client_ip from public.form_refusals where id > ${before}`;
        assert.deepEqual(logged.map((r) => ({ ...r })), [
          { reason, source_form: "full_booking", client_ip: ip },
        ]);
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("a refusal is logged with Cloudflare's client address, not the one the client wrote, and at most 20 an hour per address", async () => {
  const sql = connect();
  try {
    const real = freshClientIp();
    const written = freshClientIp();
    const headers = { "cf-connecting-ip": real, "x-forwarded-for": `${written}, 10.0.0.1` };
    const answers = [];
    for (let i = 0; i < 22; i++) {
      answers.push((await submit(sql, submission({ honeypot: "x" }), headers)).status);
    }
    assert.deepEqual(new Set(answers), new Set(["400"]), "every one is refused");
    const [{ logged }] = await sql`
      select count(*)::int as logged from public.form_refusals where client_ip = ${real}`;
    assert.equal(logged, 20);
    const [{ forged }] = await sql`
      select count(*)::int as forged from public.form_refusals where client_ip = ${written}`;
    assert.equal(forged, 0, "the address the client wrote is never taken");
  } finally {
    await sql.end();
  }
});

Deno.test("an old form's direct insert cannot forge the consent record, and its text is cleaned", async () => {
  const sql = connect();
  try {
    const lead = newLead({ first_name: "Ja\u200bne\u202e", notes: "line one\r\nline\u0007 two" });
    await asAnon(sql, (tx) =>
      tx`insert into public.leads ${
        tx({
          ...lead,
          sms_consent_source: "staff_verbal_recording",
          sms_consent_text: "The customer agreed to anything at all.",
        })
      }`);
    const saved = await leadByEmail(sql, lead.email);
    assert.equal(saved.sms_consent_source, "web_form_checkbox");
    assert.doesNotMatch(saved.sms_consent_text, /anything at all/);
    assert.ok(saved.sms_consent_version, "the current wording's version");
    assert.equal(saved.first_name, "Jane");
    assert.equal(saved.notes, "line one\nline two");
    const [ledger] = await sql`
      select detail from public.sms_consent_events where lead_id = ${saved.id}`;
    assert.equal(ledger.detail, saved.sms_consent_text, "the ledger has the wording shown");
  } finally {
    await sql.end();
  }
});

Deno.test("a lead saved before a limit existed can still have its status changed", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql, { preferred_date: null });
    // As if saved long ago: the date has passed and the note is longer than forms now allow.
    await sql`alter table public.leads disable trigger leads_reject_malformed`;
    try {
      await sql`update public.leads set preferred_date = '2020-01-01', notes = ${"n".repeat(3000)}
                where id = ${lead.id}`;
    } finally {
      await sql`alter table public.leads enable trigger leads_reject_malformed`;
    }
    await sql`update public.leads set status = 'contacted' where id = ${lead.id}`;
    await assert.rejects(
      sql`update public.leads set preferred_date = '2021-01-01' where id = ${lead.id}`,
      /in the past/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("an unticked box after an earlier opt-in: that lead gets email only, the reason recorded, the opt-in kept", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _repeats = await allowRepeatSubmissions(sql);
    const first = submission();
    assert.equal((await submit(sql, first)).result.will_text, true);
    const firstLead = await leadByEmail(sql, first.email);
    await settledOutbox(sql, firstLead.id, 3);

    const second = submission({ phone: first.phone, sms_consent: false });
    assert.equal((await submit(sql, second)).result.will_text, false);
    const lead = await leadByEmail(sql, second.email);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "no_sms_consent_on_this_lead");
    assert.equal((await smsTo(String(first.phone))).length, 1, "only the first lead's text");
    const [consent] = await sql`
      select may_text from public.sms_consent_status where phone_e164 = ${String(first.phone)}`;
    assert.equal(consent.may_text, true, "the unticked box revoked nothing");
  } finally {
    await sql.end();
  }
});

Deno.test("a STOP is not undone by anyone's form with the box ticked: that lead gets email only, reason opted_out, until the phone says START", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _repeats = await allowRepeatSubmissions(sql);
    const first = submission();
    const phone = String(first.phone);
    await submit(sql, first);
    await settledOutbox(sql, (await leadByEmail(sql, first.email)).id, 3);
    assert.equal((await postAsTwilio(inboundParams(phone, "please stop texting me"))).status, 200);
    const textsBefore = (await smsTo(phone)).length;

    const second = submission({ phone, sms_consent: true });
    assert.equal((await submit(sql, second)).status, null, "the form is accepted");
    const lead = await leadByEmail(sql, second.email);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.customer_confirmation_email.status, "sent");
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "opted_out");
    assert.equal((await smsTo(phone)).length, textsBefore, "no text after the STOP");
    const [consent] = await sql`select may_text, last_event, last_source
      from public.sms_consent_status where phone_e164 = ${phone}`;
    assert.deepEqual({ ...consent }, {
      may_text: false,
      last_event: "opt_out",
      last_source: "sms_keyword",
    });
    const [ticked] = await sql`select event, source from public.sms_consent_events
      where lead_id = ${lead.id}`;
    assert.deepEqual(
      { ...ticked },
      { event: "opt_in", source: "web_form" },
      "the box is on record",
    );

    assert.equal((await postAsTwilio(inboundParams(phone, "START"))).status, 200);
    const [after] = await sql`select may_text from public.sms_consent_status
      where phone_e164 = ${phone}`;
    assert.equal(after.may_text, true, "the phone's own START lifts it");
  } finally {
    await sql.end();
  }
});

Deno.test("a phishing line typed as a first name never reaches the customer's phone or inbox; staff see it as typed", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const phishing = "Your Chase acct is locked. Verify at chase-secure.example/x today!";
    const form = submission({ first_name: phishing });
    await submit(sql, form);
    const lead = await leadByEmail(sql, form.email);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.initial_confirmation_sms.status, "sent");
    const [text] = await smsTo(String(form.phone));
    assert.match(text.body, /^Hi there! We received your /);
    assert.ok(!/chase/i.test(text.body), text.body);
    const [mail] = await emailsTo(String(form.email));
    assert.ok(!/chase/i.test(`${mail.subject} ${mail.html} ${mail.text}`));
    const staff = (await emailsTo("admin@pinkautoglass.com"))
      .filter((e) => (e.html ?? "").includes(lead.reference_number));
    assert.ok(
      staff.some((e) => e.html!.includes("chase-secure.example")),
      "staff see what was typed",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("an address the database takes but the providers refuse is the customer's problem: suppressed invalid_address, no dead letter", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const form = submission({
      email: `"<script>alert(${Math.floor(Math.random() * 1e9)})</script>"@example.com`,
    });
    assert.equal((await submit(sql, form)).status, null, "the form is accepted");
    const lead = await leadByEmail(sql, form.email);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.customer_confirmation_email.status, "suppressed");
    assert.equal(outbox.customer_confirmation_email.status_reason, "invalid_address");
    assert.equal(outbox.staff_new_lead_email.status, "sent", "staff are still told");
    assert.equal(outbox.initial_confirmation_sms.status, "sent", "the text still goes");
    const [{ dead }] = await sql`select count(*)::int as dead from public.notifications_outbox
      where lead_id = ${lead.id} and status = 'dead'`;
    assert.equal(dead, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("a hostile lead's messages reach the providers within budget: SMS of 2 segments, a subject of 150", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const args = submission({
      first_name: "😀".repeat(100),
      vehicle_make: "Ж".repeat(50),
      vehicle_model: "Ж".repeat(50),
      notes: "Crack. ".repeat(285),
    });
    const { result } = await submit(sql, args);
    const lead = await leadByEmail(sql, args.email);
    const outbox = await settledOutbox(sql, lead.id, 3);
    assert.equal(outbox.initial_confirmation_sms.status, "sent");
    const [text] = await smsTo(lead.phone_e164);
    const cost = smsCost(text.body);
    assert.ok(cost.segments <= 2, `${cost.segments} segments: ${text.body}`);
    assert.ok(text.body.includes(`Ref: ${result.reference_number}`));
    assert.ok(text.body.includes("(720) 918-7465"));
    assert.ok(text.body.endsWith("Text STOP to opt-out"));
    const [alert] = (await emailsTo("admin@pinkautoglass.com"))
      .filter((e) => e.html?.includes(String(result.reference_number)));
    assert.ok(alert.subject.length <= 150, alert.subject);
    assert.ok(alert.html?.includes("Crack. Crack."), "staff read the note");
  } finally {
    await sql.end();
  }
});

Deno.test("a Denver (303) number with a Puerto Rico address is texted only when it is 8 am in Denver too", async () => {
  const sql = connect();
  const phone = `+1303555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`;
  try {
    await using _window = await changeSettings(sql, {
      sms_window_start_hour: 8,
      sms_window_end_hour: 21,
    });
    // Planned here at a chosen moment, not by the webhook at whatever hour the test runs.
    await switches.pgNetPaused(true);
    let planned;
    try {
      const { result } = await submit(
        sql,
        submission({ phone, state: "PR", city: "San Juan", zip: "00901" }),
      );
      const [lead] = await sql`select id from public.leads
        where reference_number = ${String(result.reference_number)}`;
      // 08:30 in San Juan, 05:30 in Denver (a Wednesday in November).
      const rows = await planLeadsNotifications(sql, [lead.id], {
        setup: messageSetup(notifyLeadConfig()),
        now: new Date("2026-11-25T12:30:00Z"),
      });
      planned = rows.get(lead.id)!.find((r) => r.template === "initial_confirmation_sms");
    } finally {
      await switches.pgNetPaused(false);
    }
    assert.equal(planned?.status, "deferred");
    assert.equal(planned?.status_reason, "quiet_hours");
    assert.equal(
      planned?.next_attempt_at.toISOString(),
      "2026-11-25T15:00:00.000Z",
      "08:00 in Denver",
    );
  } finally {
    await sql.end();
  }
});

async function refusalsFrom(sql: Sql, ip: string) {
  return (await sql`select reason from public.form_refusals where client_ip = ${ip} order by id`)
    .map((r) => r.reason);
}

Deno.test("the 6th form from one address within 10 minutes is refused and logged, with nothing saved", async () => {
  const sql = connect();
  try {
    const ip = freshClientIp();
    for (let i = 1; i <= 5; i++) {
      const { status, result } = await submit(sql, submission(), from(ip));
      assert.equal(status, null, `form ${i} is taken`);
      assert.ok(result.reference_number);
    }
    const sixth = submission();
    const { status, result } = await submit(sql, sixth, from(ip));
    assert.equal(status, "400");
    assert.match(String(result.message), /could not take this request online/);
    assert.equal(await leadByEmail(sql, sixth.email), undefined, "nothing saved");
    assert.deepEqual(await refusalsFrom(sql, ip), ["address_limit"]);
    const other = await submit(sql, submission(), from(freshClientIp()));
    assert.equal(other.status, null, "another address is still served");
  } finally {
    await sql.end();
  }
});

Deno.test("12 forms at once from one address: exactly 5 are taken", async () => {
  const sql = connect({ max: 12 });
  try {
    const ip = freshClientIp();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => submit(sql, submission(), from(ip))),
    );
    assert.equal(answers.filter((a) => a.status === null).length, 5);
    assert.equal(answers.filter((a) => a.status === "400").length, 7);
    assert.deepEqual(await refusalsFrom(sql, ip), Array(7).fill("address_limit"));
  } finally {
    await sql.end();
  }
});

Deno.test("one phone number is taken on at most 5 forms a day, from any address", async () => {
  const sql = connect();
  try {
    const phone = newLead().phone_e164;
    const answers = [];
    for (let i = 0; i < 6; i++) {
      answers.push((await submit(sql, submission({ phone }), from(freshClientIp()))).status);
    }
    assert.deepEqual(answers, [null, null, null, null, null, "400"]);
    const [{ saved }] = await sql`select count(*)::int as saved from public.leads
      where phone_e164 = ${phone}`;
    assert.equal(saved, 5);
  } finally {
    await sql.end();
  }
});

Deno.test("will_text is false for a number the sender would not text", async (t) => {
  const sql = connect();
  try {
    const cases: [string, string, boolean][] = [
      ["a Denver mobile", "(720) 555-2187", true],
      ["a UK number", "+44 20 7183 8750", false],
      ["a Nigerian number", "+234 803 123 4567", false],
      ["the Dominican Republic (+1 809)", "+1 809 555 1234", false],
      ["a premium-rate number (+1 900)", "+1 900 555 1234", false],
      ["a toll-free number (+1 800)", "+1 800 555 1234", false],
    ];
    for (const [name, phone, expected] of cases) {
      await t.step(name, async () => {
        const number = phone.startsWith("(")
          ? `(720) 555-${String(Math.floor(Math.random() * 9000) + 1000)}`
          : phone;
        const { result } = await submit(sql, submission({ phone: number }));
        assert.equal(result.will_text, expected, JSON.stringify(result));
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("past form_submissions_per_minute, forms from everyone are refused until the minute has room", async () => {
  const sql = connect();
  // Earlier tests' forms of this minute would age out meanwhile and change the count: they
  // are moved back two minutes for the test, and put back after.
  const moved = await sql`update public.form_submissions
    set created_at = created_at - interval '2 minutes'
    where created_at > now() - interval '1 minute' returning id`;
  try {
    await using _limit = await changeSettings(sql, { form_submissions_per_minute: 2 });
    const answers = [];
    const ips = [freshClientIp(), freshClientIp(), freshClientIp()];
    for (const ip of ips) answers.push((await submit(sql, submission(), from(ip))).status);
    assert.deepEqual(answers, [null, null, "400"]);
    assert.deepEqual(await refusalsFrom(sql, ips[2]), ["rate_limit"]);
  } finally {
    await sql`update public.form_submissions set created_at = created_at + interval '2 minutes'
      where id = any (${moved.map((r) => r.id)}::bigint[])`;
    await sql.end();
  }
});
