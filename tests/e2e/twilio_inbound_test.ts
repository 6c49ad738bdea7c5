/**
 * twilio-inbound against the running stack: customers' texts and Twilio's status callbacks,
 * signed the way Twilio signs them, change consent, reach staff and record delivery, once.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { emailsTo, smsTo, twilio } from "../support/fakes.ts";
import {
  allowRepeatSubmissions,
  arrangeLead,
  outboxOf,
  settledOutbox,
  smsWindowAlwaysOpen,
} from "../support/notify_lead.ts";
import {
  inboundParams,
  newMessageSid,
  phoneRecord,
  postAsTwilio,
  statusParams,
  TWILIO_INBOUND_URL,
  twimlMessages,
} from "../support/twilio_inbound.ts";
import { waitFor } from "../support/wait_for.ts";
import { smsCost } from "../../templates/sms/segments.ts";

await requireStack();
const ADMIN = "admin@pinkautoglass.com";

/** A lead whose confirmation SMS is held until tomorrow (quiet hours): a text waiting to go. */
async function leadWithWaitingSms(sql: postgres.Sql, phone?: string) {
  return await arrangeLead(
    sql,
    phone ? { phone_e164: phone } : {},
    async (lead) => {
      await sql`update public.notifications_outbox
              set status = 'deferred', status_reason = 'quiet_hours',
                  next_attempt_at = now() + interval '1 day'
              where lead_id = ${lead.id} and template = 'initial_confirmation_sms'`;
    },
  );
}

async function smsRowOf(sql: postgres.Sql, leadId: string) {
  return (await outboxOf(sql, leadId)).initial_confirmation_sms;
}

/** Staff emails about a customer's text mentioning `needle` (a Ref or a phone). */
async function staffReplyEmails(needle: string) {
  return (await emailsTo(ADMIN)).filter((e) =>
    e.subject.startsWith("💬 Text from") && (e.html ?? "").includes(needle)
  );
}

Deno.test("an opt-out in any of its forms stops every text to that phone, with one confirmation", async (t) => {
  const sql = connect();
  try {
    const forms = [
      "STOP",
      "stop!",
      "StopAll",
      "Unsubscribe 🙏",
      "cancel.",
      "END",
      "Quit",
      "REVOKE",
      "optout",
      "Opt-Out",
      "  opt out  ",
      "Stop texting me",
      "please unsubscribe me",
      "No more texts!",
    ];
    for (const text of forms) {
      await t.step(JSON.stringify(text), async () => {
        const lead = await leadWithWaitingSms(sql);
        const phone = lead.phone_e164;
        // A second lead with the same phone: consent belongs to the number.
        const other = await insertLead(sql, {
          phone_e164: phone,
          sms_consent: false,
        });
        const res = await postAsTwilio(inboundParams(phone, text));
        assert.equal(res.status, 200);
        const replies = twimlMessages(res.body);
        assert.equal(replies.length, 1, "exactly one confirmation");
        assert.match(replies[0], /^Pink Auto Glass: /);
        assert.match(replies[0], /no more texts/);

        const row = await smsRowOf(sql, lead.id);
        assert.equal(row.status, "suppressed");
        assert.equal(row.status_reason, "opted_out");
        const record = await phoneRecord(sql, phone);
        const last = record.consent.at(-1)!;
        assert.deepEqual({ ...last }, {
          event: "opt_out",
          source: "sms_keyword",
          detail: text,
          lead_id: other.id,
        });
        const optOuts = record.activities.filter((a) => a.activity_type === "sms_opt_out");
        assert.deepEqual(
          optOuts.map((a) => a.lead_id).sort(),
          [lead.id, other.id].sort(),
        );
        assert.equal(record.inbound[0].intent, "opt_out");
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("a captured text re-cut under the same signature (NumMedia moved into the MessageSid) is refused 400 and records nothing", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql);
    const captured = inboundParams(lead.phone_e164, "STOP");
    const { NumMedia: _dropped, ...rest } = captured;
    const spliced = { ...rest, MessageSid: `${captured.MessageSid}NumMedia0` };
    const res = await postAsTwilio(spliced, { signedParams: captured });
    assert.equal(res.status, 400, res.body);
    assert.match(res.body, /MessageSid/);
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.equal(record.inbound.length, 0);
    assert.deepEqual(record.consent.map((c) => c.event), ["opt_in"], "the STOP was not taken");
  } finally {
    await sql.end();
  }
});

Deno.test("a stop word inside an ordinary sentence is a reply for staff, not an opt-out", async () => {
  const sql = connect();
  try {
    const lead = await leadWithWaitingSms(sql);
    const res = await postAsTwilio(
      inboundParams(lead.phone_e164, "I can't stop by today"),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(twimlMessages(res.body), []);
    assert.equal((await smsRowOf(sql, lead.id)).status, "deferred");
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.deepEqual(
      record.consent.map((c) => c.event),
      ["opt_in"],
      "only the form's consent",
    );
    assert.equal(record.inbound[0].intent, "reply");
    await waitFor("the staff email of the reply", async () => {
      const emails = await staffReplyEmails(lead.reference_number);
      return emails.length === 1 ? emails : undefined;
    });
  } finally {
    await sql.end();
  }
});

Deno.test("after STOP a new lead from that phone is not texted, box ticked or not, until the phone says START", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await using _repeats = await allowRepeatSubmissions(sql);
    const first = await insertLead(sql);
    const phone = first.phone_e164;
    await settledOutbox(sql, first.id, 3);
    assert.equal(
      (await postAsTwilio(inboundParams(phone, "STOP"))).status,
      200,
    );

    for (const sms_consent of [false, true]) {
      const later = await insertLead(sql, { phone_e164: phone, sms_consent });
      const outbox = await settledOutbox(sql, later.id, 3);
      assert.equal(outbox.initial_confirmation_sms.status, "suppressed", `ticked: ${sms_consent}`);
      assert.equal(outbox.initial_confirmation_sms.status_reason, "opted_out");
      assert.equal(outbox.customer_confirmation_email.status, "sent");
    }

    assert.equal((await postAsTwilio(inboundParams(phone, "START"))).status, 200);
    const ticked = await insertLead(sql, { phone_e164: phone, sms_consent: true });
    const tOutbox = await settledOutbox(sql, ticked.id, 3);
    assert.equal(tOutbox.initial_confirmation_sms.status, "sent");
    const texts = await smsTo(phone);
    assert.ok(texts.some((m) => m.body.includes(ticked.reference_number)));
  } finally {
    await sql.end();
  }
});

Deno.test("START after STOP turns texts back on, with one reply and an sms_opt_in activity", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql, { sms_consent: true });
    await settledOutbox(sql, lead.id, 3);
    for (const start of ["Start", "yes!", "UNSTOP 🙂"]) {
      await postAsTwilio(inboundParams(lead.phone_e164, "STOP"));
      const res = await postAsTwilio(inboundParams(lead.phone_e164, start));
      const [reply, ...more] = twimlMessages(res.body);
      assert.equal(more.length, 0);
      assert.match(reply, /^Pink Auto Glass: You're subscribed/);
      assert.match(reply, /Msg & data rates may apply/);
    }
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.deepEqual(
      record.consent.map((c) => `${c.event}/${c.source}`),
      [
        "opt_in/web_form",
        ...Array(3).fill(["opt_out/sms_keyword", "opt_in/sms_keyword"]).flat(),
      ],
    );
    assert.equal(
      record.activities.filter((a) => a.activity_type === "sms_opt_in").length,
      3,
    );
    const [status] = await sql`select may_text from public.sms_consent_status
                               where phone_e164 = ${lead.phone_e164}`;
    assert.equal(status.may_text, true);
  } finally {
    await sql.end();
  }
});

Deno.test("HELP is answered with who we are, how to get help and how to stop, in one GSM-7 segment", async () => {
  const sql = connect();
  try {
    const lead = await leadWithWaitingSms(sql);
    for (const text of ["HELP", "info?"]) {
      const res = await postAsTwilio(inboundParams(lead.phone_e164, text));
      const [reply, ...more] = twimlMessages(res.body);
      assert.equal(more.length, 0);
      for (
        const part of [
          /Pink Auto Glass/,
          /\(720\) 918-7465/,
          /pinkautoglass\.com/,
          /STOP/,
        ]
      ) {
        assert.match(reply, part);
      }
      assert.match(reply, /Msg & data rates may apply/);
      assert.deepEqual(smsCost(reply), { segments: 1, encoding: "GSM-7" });
    }
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.deepEqual(
      record.consent.map((c) => c.event),
      ["opt_in"],
      "no consent change",
    );
    assert.equal((await smsRowOf(sql, lead.id)).status, "deferred");
  } finally {
    await sql.end();
  }
});

Deno.test("a Spanish opt-out stops every text to that phone and is confirmed in Spanish; AYUDA is answered in Spanish", async (t) => {
  const sql = connect();
  try {
    for (const text of ["PARAR", "Ya no me manden más mensajes"]) {
      await t.step(JSON.stringify(text), async () => {
        const lead = await leadWithWaitingSms(sql);
        const res = await postAsTwilio(inboundParams(lead.phone_e164, text));
        assert.equal(res.status, 200);
        assert.deepEqual(twimlMessages(res.body), [
          "Pink Auto Glass: Se dio de baja y ya no le enviaremos mensajes. " +
          "Responda START para volver a suscribirse.",
        ]);
        const row = await smsRowOf(sql, lead.id);
        assert.equal(row.status, "suppressed");
        assert.equal(row.status_reason, "opted_out");
        const record = await phoneRecord(sql, lead.phone_e164);
        assert.deepEqual({ ...record.consent.at(-1)! }, {
          event: "opt_out",
          source: "sms_keyword",
          detail: text,
          lead_id: lead.id,
        });
        assert.equal(record.inbound[0].intent, "opt_out");
        const [status] = await sql`select may_text from public.sms_consent_status
                                   where phone_e164 = ${lead.phone_e164}`;
        assert.equal(status.may_text, false);
      });
    }

    await t.step('"AYUDA"', async () => {
      const lead = await leadWithWaitingSms(sql);
      const res = await postAsTwilio(inboundParams(lead.phone_e164, "AYUDA"));
      const [reply, ...more] = twimlMessages(res.body);
      assert.equal(more.length, 0);
      for (
        const part of [
          /^Pink Auto Glass: /,
          /\(720\) 918-7465/,
          /pinkautoglass\.com/,
          /Pueden aplicarse tarifas de mensajes y datos/,
          /Responda STOP \(o PARAR\) para cancelar/,
        ]
      ) {
        assert.match(reply, part);
      }
      assert.deepEqual(smsCost(reply), { segments: 2, encoding: "GSM-7" });
      const record = await phoneRecord(sql, lead.phone_e164);
      assert.deepEqual(record.consent.map((c) => c.event), ["opt_in"], "no consent change");
      assert.equal(record.inbound[0].intent, "help");
      assert.equal((await smsRowOf(sql, lead.id)).status, "deferred");
    });

    await t.step('"cancelar mi cita" reaches staff', async () => {
      const lead = await leadWithWaitingSms(sql);
      const res = await postAsTwilio(inboundParams(lead.phone_e164, "cancelar mi cita"));
      assert.equal(res.status, 200);
      assert.deepEqual(twimlMessages(res.body), []);
      assert.equal((await smsRowOf(sql, lead.id)).status, "deferred");
      const record = await phoneRecord(sql, lead.phone_e164);
      assert.deepEqual(record.consent.map((c) => c.event), ["opt_in"]);
      assert.equal(record.inbound[0].intent, "reply");
      await waitFor("the staff email of the reply", async () => {
        const emails = await staffReplyEmails(lead.reference_number);
        return emails.length === 1 ? emails : undefined;
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("when Twilio's Advanced Opt-Out answered (OptOutType), the opt-out is recorded and not answered again", async () => {
  const sql = connect();
  try {
    const lead = await leadWithWaitingSms(sql);
    const res = await postAsTwilio(
      inboundParams(lead.phone_e164, "STOP", { OptOutType: "STOP" }),
    );
    assert.equal(res.status, 200);
    assert.deepEqual(twimlMessages(res.body), []);
    assert.match(res.body, /<Response\/>/);
    assert.equal((await smsRowOf(sql, lead.id)).status_reason, "opted_out");
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.equal(record.consent.at(-1)!.event, "opt_out");
  } finally {
    await sql.end();
  }
});

Deno.test("a customer's free-text reply and an MMS reach the staff inbox, logged as sms_received", async () => {
  const sql = connect();
  try {
    const older = await insertLead(sql, { first_name: "Old" });
    const lead = await insertLead(sql, {
      phone_e164: older.phone_e164,
      first_name: "Robin",
    });
    const text = await postAsTwilio(
      inboundParams(lead.phone_e164, "Can you come at 9 instead?"),
    );
    assert.equal(text.status, 200);
    const photo = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
    const mms = await postAsTwilio(
      inboundParams(lead.phone_e164, "Here is the crack", {
        NumMedia: "1",
        MediaUrl0: photo,
        MediaContentType0: "image/jpeg",
      }),
    );
    assert.equal(mms.status, 200);

    const emails = await waitFor("both staff emails", async () => {
      const found = await staffReplyEmails(lead.reference_number);
      return found.length === 2 ? found : undefined;
    });
    const plain = emails.find((e) => e.subject.includes("Can you come at 9"))!;
    assert.match(
      plain.subject,
      new RegExp(`Robin Doe \\(Ref ${lead.reference_number}\\)`),
    );
    assert.match(plain.text ?? "", /Can you come at 9 instead\?/);
    assert.match(
      plain.text ?? "",
      /\(720\)/,
      "the customer's phone, formatted",
    );
    const withPhoto = emails.find((e) => e.subject.includes("Here is the crack"))!;
    assert.ok((withPhoto.html ?? "").includes(photo.replaceAll("&", "&amp;")));
    assert.match(withPhoto.text ?? "", /image\/jpeg/);

    const received = await sql`select lead_id, metadata from public.lead_activities
      where activity_type = 'sms_received' and lead_id in (${lead.id}, ${older.id})`;
    assert.equal(received.length, 2);
    assert.ok(
      received.every((a) => a.lead_id === lead.id),
      "on the phone's latest lead",
    );
  } finally {
    await sql.end();
  }
});

Deno.test("a text from a number no lead gave still reaches staff", async () => {
  const sql = connect();
  try {
    const exchange = 200 + Math.floor(Math.random() * 800);
    const stranger = `+1303${exchange}${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
    const res = await postAsTwilio(
      inboundParams(stranger, "Do you fix RV windshields?"),
    );
    assert.equal(res.status, 200);
    const display = `(303) ${stranger.slice(5, 8)}-${stranger.slice(8)}`;
    const [email] = await waitFor("the staff email", async () => {
      const found = (await emailsTo(ADMIN)).filter((e) =>
        e.subject.includes("Do you fix RV windshields?") &&
        e.subject.includes(display)
      );
      return found.length === 1 ? found : undefined;
    });
    assert.match(email.subject, /\(no lead\)/);
    assert.match(email.text ?? "", /No lead has this number/);
  } finally {
    await sql.end();
  }
});

Deno.test("forged, missing and misdirected signatures are refused with 403 and change nothing", async () => {
  const sql = connect();
  try {
    const lead = await leadWithWaitingSms(sql);
    await settledOutbox(sql, lead.id, 3);
    const before = await phoneRecord(sql, lead.phone_e164);
    const params = inboundParams(lead.phone_e164, "STOP");
    const cases = [
      { signature: "forged" as const },
      { signature: "missing" as const },
      { signedUrl: "http://127.0.0.1:54321/functions/v1/twilio-inbound" },
      { signedUrl: `${TWILIO_INBOUND_URL}?extra=1` },
    ];
    for (const opts of cases) {
      const res = await postAsTwilio(params, opts);
      assert.equal(res.status, 403, JSON.stringify(opts));
    }
    // A parameter changed after signing.
    const res = await fetch(TWILIO_INBOUND_URL, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl",
      },
      body: new URLSearchParams({ ...params, Body: "START" }),
    });
    assert.equal(res.status, 403);
    await res.body?.cancel();
    assert.deepEqual(await phoneRecord(sql, lead.phone_e164), before);
    assert.equal((await smsRowOf(sql, lead.id)).status, "deferred");
  } finally {
    await sql.end();
  }
});

Deno.test("twilio-inbound takes only signed form POSTs of at most 64 KB", async () => {
  const json = await fetch(TWILIO_INBOUND_URL, {
    method: "POST",
    headers: { "content-type": "application/json", "x-twilio-signature": "x" },
    body: JSON.stringify({ From: "+17205551234", Body: "STOP" }),
  });
  assert.equal(json.status, 415);
  assert.match((await json.json()).error, /application\/x-www-form-urlencoded/);

  const unsigned = await fetch(TWILIO_INBOUND_URL);
  assert.equal(
    unsigned.status,
    403,
    "unsigned is refused before the method is looked at",
  );
  await unsigned.body?.cancel();
  const get = await fetch(TWILIO_INBOUND_URL, {
    headers: { "x-twilio-signature": "x" },
  });
  assert.equal(get.status, 405);
  await get.body?.cancel();

  const huge = await postAsTwilio(
    inboundParams("+17205551234", "x".repeat(70_000)),
  );
  assert.equal(huge.status, 413);
});

Deno.test("the same text posted twice is acted on once: one reply, one activity, one staff email", async () => {
  const sql = connect();
  try {
    const lead = await insertLead(sql);
    const reply = inboundParams(lead.phone_e164, "Is Saturday possible?");
    const stop = inboundParams(lead.phone_e164, "stop");
    const [r1, r2] = await Promise.all([
      postAsTwilio(reply),
      postAsTwilio(reply),
    ]);
    assert.deepEqual([r1.status, r2.status], [200, 200]);
    const first = await postAsTwilio(stop);
    const again = await postAsTwilio(stop);
    assert.equal(twimlMessages(first.body).length, 1);
    assert.deepEqual(twimlMessages(again.body), [], "no second confirmation");

    await waitFor(
      "the staff email",
      async () =>
        (await staffReplyEmails(lead.reference_number)).length === 1 ||
        undefined,
    );
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.equal(record.inbound.length, 2);
    assert.equal(
      record.activities.filter((a) => a.activity_type === "sms_received")
        .length,
      1,
    );
    assert.equal(
      record.activities.filter((a) => a.activity_type === "sms_opt_out").length,
      1,
    );
    assert.equal(record.consent.filter((c) => c.event === "opt_out").length, 1);
    const outbox = await sql`select key from public.notifications_outbox
      where key like ${`sms:${reply.MessageSid}:%`} or key like ${`sms:${stop.MessageSid}:%`}`;
    assert.equal(
      outbox.length,
      2,
      "one staff email and one recorded TwiML reply",
    );
  } finally {
    await sql.end();
  }
});

/** A text we sent, as the outbox records it after Twilio accepted it. */
async function sentText(sql: postgres.Sql) {
  const lead = await arrangeLead(sql, {}, async (l) => {
    await sql`update public.notifications_outbox
              set status = 'sent', sent_at = now(), provider_message_id = ${newMessageSid()}
              where lead_id = ${l.id} and template = 'initial_confirmation_sms'`;
  });
  const row = await smsRowOf(sql, lead.id);
  return { lead, sid: row.provider_message_id as string };
}

async function deliveryActivities(sql: postgres.Sql, leadId: string) {
  return await sql`select activity_type, metadata from public.lead_activities
    where lead_id = ${leadId} and activity_type in ('sms_delivered', 'sms_failed') order by id`;
}

Deno.test("status callbacks repeated and out of order leave the right final state and one activity", async (t) => {
  const sql = connect();
  try {
    await t.step(
      "delivered arrives twice, then a late sent and queued",
      async () => {
        const { lead, sid } = await sentText(sql);
        for (
          const status of ["queued", "delivered", "delivered", "sent", "queued"]
        ) {
          const res = await postAsTwilio(statusParams(sid, status));
          assert.equal(res.status, 200);
        }
        assert.equal(
          (await smsRowOf(sql, lead.id)).delivery_status,
          "delivered",
        );
        const logged = await deliveryActivities(sql, lead.id);
        assert.deepEqual(logged.map((a) => a.activity_type), ["sms_delivered"]);
      },
    );
    await t.step("concurrent copies of a failure", async () => {
      const { lead, sid } = await sentText(sql);
      const failed = statusParams(sid, "undelivered", { ErrorCode: "30007" });
      await Promise.all([1, 2, 3, 4].map(() => postAsTwilio(failed)));
      await postAsTwilio(statusParams(sid, "sent"));
      assert.equal(
        (await smsRowOf(sql, lead.id)).delivery_status,
        "undelivered",
      );
      const logged = await deliveryActivities(sql, lead.id);
      assert.equal(logged.length, 1);
      assert.equal(logged[0].activity_type, "sms_failed");
      assert.equal(logged[0].metadata.error_code, 30007);
    });
    await t.step(
      "every status at once, each twice: the final one wins, logged once",
      async () => {
        const { lead, sid } = await sentText(sql);
        const posts = ["queued", "sent", "delivered", "sending"].flatMap((
          s,
        ) => [s, s]);
        const answers = await Promise.all(
          posts.map((s) => postAsTwilio(statusParams(sid, s))),
        );
        assert.deepEqual(answers.map((a) => a.status), posts.map(() => 200));
        assert.equal(
          (await smsRowOf(sql, lead.id)).delivery_status,
          "delivered",
        );
        const logged = await deliveryActivities(sql, lead.id);
        assert.deepEqual(logged.map((a) => a.activity_type), ["sms_delivered"]);
      },
    );
    await t.step(
      "an unknown MessageSid is answered 200 and changes nothing",
      async () => {
        const sid = newMessageSid();
        const res = await postAsTwilio(statusParams(sid, "delivered"));
        assert.equal(res.status, 200);
        // Only what names this SID could have changed (other tests' reports land meanwhile).
        const [{ activities }] = await sql`
          select count(*)::int as activities from public.lead_activities
          where position(${sid} in metadata::text) > 0`;
        const [{ rows }] = await sql`
          select count(*)::int as rows from public.notifications_outbox
          where provider_message_id = ${sid}`;
        assert.deepEqual([activities, rows], [0, 0]);
      },
    );
  } finally {
    await sql.end();
  }
});

Deno.test("21610 on a status callback records one opt-out for that phone, however many copies", async () => {
  const sql = connect();
  try {
    const { lead, sid } = await sentText(sql);
    const failed = statusParams(sid, "failed", { ErrorCode: "21610" });
    await Promise.all([1, 2, 3].map(() => postAsTwilio(failed)));
    const record = await phoneRecord(sql, lead.phone_e164);
    assert.equal(
      record.consent.filter((c) => c.source === "provider").length,
      1,
    );
    assert.deepEqual(
      { ...record.consent.at(-1)! },
      {
        event: "opt_out",
        source: "provider",
        detail: "Twilio 21610: recipient unsubscribed",
        lead_id: lead.id,
      },
    );
  } finally {
    await sql.end();
  }
});

Deno.test("after 30006 (landline) a new lead from that phone is not texted, and the staff alert says so", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const { lead, sid } = await sentText(sql);
    await postAsTwilio(
      statusParams(sid, "undelivered", { ErrorCode: "30006" }),
    );
    const again = await insertLead(sql, { phone_e164: lead.phone_e164 });
    const outbox = await settledOutbox(sql, again.id, 3);
    assert.equal(outbox.initial_confirmation_sms.status, "suppressed");
    assert.equal(outbox.initial_confirmation_sms.status_reason, "unreachable");
    assert.deepEqual(await smsTo(lead.phone_e164), []);
    const [alert] = (await emailsTo(ADMIN)).filter((e) =>
      (e.html ?? "").includes(again.reference_number) &&
      e.subject.startsWith("🚨")
    );
    assert.match(
      alert.text ?? "",
      /Cannot text this number: landline or unreachable carrier \(Twilio 30006\)/,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("through Twilio (the fake): a text we send is reported sent, then delivered, and logged once", async () => {
  const sql = connect();
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    const lead = await insertLead(sql);
    await settledOutbox(sql, lead.id, 3);
    const row = await waitFor("the delivery report", async () => {
      const r = await smsRowOf(sql, lead.id);
      return r.delivery_status === "delivered" ? r : undefined;
    });
    const logged = await deliveryActivities(sql, lead.id);
    assert.deepEqual(logged.map((a) => a.activity_type), ["sms_delivered"]);
    assert.equal(
      logged[0].metadata.provider_message_id,
      row.provider_message_id,
    );
  } finally {
    await sql.end();
  }
});

Deno.test("through Twilio (the fake): a landline's 30006 stops later texts; the customer's STOP and question are handled", async () => {
  const sql = connect();
  const phone = `+1720555${String(Math.floor(Math.random() * 1e4)).padStart(4, "0")}`;
  try {
    await using _window = await smsWindowAlwaysOpen(sql);
    await twilio.deliveryFailure(phone, "undelivered", 30006);
    const lead = await insertLead(sql, { phone_e164: phone });
    await settledOutbox(sql, lead.id, 3);
    await waitFor(
      "the failure report",
      async () =>
        (await smsRowOf(sql, lead.id)).delivery_status === "undelivered" ||
        undefined,
    );
    const [mark] = await sql`select error_code from public.sms_unreachable_phones
                             where phone_e164 = ${phone}`;
    assert.equal(mark.error_code, 30006);

    const question = await twilio.inbound({
      from: phone,
      body: "Did you get my photos?",
    });
    assert.equal(question.status, 200);
    assert.deepEqual(question.replies, []);
    const [{ count }] = await sql`select count(*)::int from public.sms_unreachable_phones
                                  where phone_e164 = ${phone}`;
    assert.equal(count, 0, "a number that texts us can take texts");
    await waitFor(
      "the staff email",
      async () =>
        (await staffReplyEmails(lead.reference_number)).length === 1 ||
        undefined,
    );

    const stop = await twilio.inbound({ from: phone, body: "Stop please" });
    assert.equal(stop.replies.length, 1);
    assert.match(stop.replies[0], /no more texts/);
    const [consent] = await sql`select may_text from public.sms_consent_status
                                where phone_e164 = ${phone}`;
    assert.equal(consent.may_text, false);
  } finally {
    await twilio.clearDeliveryFailure(phone);
    await sql.end();
  }
});
