/**
 * Messages stay within budget whatever the customer typed: customer texts at most two
 * segments with the Ref, the shop's phone and the opt-out line whole, staff texts at most
 * three, email subjects at most 150 characters, emails under 200 KB.
 */
import assert from "node:assert/strict";
import { CATALOG, isLeadKind, type MessageKindName } from "../../shared/messages/catalog.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import type { EmailMessage } from "../../shared/channels/email.ts";
import type { SmsMessage } from "../../shared/channels/sms.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { smsCost } from "../../templates/sms/segments.ts";
import { fitSms, gsmFriendly } from "../../templates/sms/fit.ts";
import { cleanText, clip } from "../../templates/wording.ts";
import { makeAppointment, makeLead, makeSettings } from "./_fixtures.ts";

const settings = makeSettings();
const LINKS = {
  claim: `https://abc.supabase.co/functions/v1/lead-action?t=${"x".repeat(120)}`,
  called: `https://abc.supabase.co/functions/v1/lead-action?t=${"y".repeat(120)}`,
};

/** What hostile or unlucky customers typed, each as the one odd field of a lead. */
const HOSTILE: Array<[string, Partial<Lead>]> = [
  ["1,350 Cyrillic characters in the vehicle make", { vehicle_make: "Ж".repeat(1350) }],
  ["a 100-emoji first name", { first_name: "😀".repeat(100) }],
  ["a 2,000-character note", { notes: "Crack. ".repeat(286) }],
  ["one emoji in a first name", { first_name: "Jane 🚗" }],
  ["an accent GSM-7 lacks", { first_name: "María" }],
  ["zero-width characters", { first_name: "Ja\u200bne\u200d", vehicle_make: "Hon\ufeffda" }],
  ["every text field at its longest", {
    first_name: "A".repeat(100),
    last_name: "B".repeat(100),
    vehicle_make: "C".repeat(50),
    vehicle_model: "D".repeat(50),
    address: "E".repeat(200),
    city: "F".repeat(100),
    notes: "G".repeat(2000),
  }],
  ["100,000 characters where a limit was missed", {
    first_name: "N".repeat(100_000),
    vehicle_make: "V".repeat(100_000),
    notes: "x".repeat(100_000),
  }],
];

function ctx(lead: Lead, overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    lead,
    settings,
    recipient: "customer",
    photoUrls: [],
    priority: "high",
    setup: { adminEmail: "admin@pinkautoglass.com" },
    now: new Date("2026-11-25T16:31:30Z"),
    links: LINKS,
    appointment: makeAppointment({ service_address: lead.address ?? "123 Main St" }),
    ...overrides,
  };
}

async function render<P>(template: MessageKindName, context: RenderContext): Promise<P> {
  const kind = CATALOG[template];
  assert.ok(isLeadKind(kind));
  return await kind.render(context) as P;
}

const CUSTOMER_TEXTS = [
  "initial_confirmation_sms",
  "appointment_confirmation_sms",
  "appointment_cancellation_sms",
  "appointment_reminder_sms",
] as const;
const STAFF_TEXTS = ["staff_on_call_sms", "staff_escalation_sms"] as const;
const EMAILS = [
  "customer_confirmation_email",
  "staff_new_lead_email",
  "staff_escalation_email",
  "appointment_confirmation_email",
  "appointment_reminder_email",
  "appointment_cancellation_email",
] as const;

Deno.test("every customer text is at most 2 segments, with its Ref, the shop's phone and STOP whole", async (t) => {
  for (const [name, fields] of HOSTILE) {
    const lead = makeLead(fields);
    for (const template of CUSTOMER_TEXTS) {
      await t.step(`${name}: ${template}`, async () => {
        const { body } = await render<SmsMessage>(template, ctx(lead));
        const cost = smsCost(body);
        assert.ok(cost.segments <= 2, `${cost.segments} ${cost.encoding} segments: ${body}`);
        const usual = await render<SmsMessage>(template, ctx(makeLead()));
        if (usual.body.includes(settings.phone_display)) {
          assert.ok(body.includes(settings.phone_display), `no shop phone: ${body}`);
        }
        assert.match(body, /\n\n(Text|Reply) STOP to opt-out$/);
        if (template === "initial_confirmation_sms") {
          assert.ok(body.includes(`(Ref: ${lead.reference_number})`), `no Ref: ${body}`);
        }
        assert.ok(!/[\u200b-\u200f\ufeff]/.test(body), "invisible characters left in");
      });
    }
  }
});

Deno.test("a long appointment address is cut in the texts, the technician sentence going first", async () => {
  const appointment = makeAppointment({
    service_address: `${"9".repeat(5)} ${"Long ".repeat(60)}`,
  });
  const lead = makeLead();
  const { body } = await render<SmsMessage>(
    "appointment_confirmation_sms",
    ctx(lead, { appointment }),
  );
  assert.ok(smsCost(body).segments <= 2, body);
  assert.ok(!body.includes("Your technician is"), body);
  assert.match(body, /at 99999 Long .*\.\.\.\./);
  assert.ok(body.includes("(720) 918-7465"));
});

Deno.test("staff texts stay within 4 segments with the Ref, the customer's phone and the link whole", async (t) => {
  for (const [name, fields] of HOSTILE) {
    const lead = makeLead({ ...fields, assigned_to_name: "Marco Ruiz" });
    for (const template of STAFF_TEXTS) {
      await t.step(`${name}: ${template}`, async () => {
        const { body } = await render<SmsMessage>(
          template,
          ctx(lead, { recipient: "+17205550101" }),
        );
        assert.ok(smsCost(body).segments <= 4, `${smsCost(body).segments} segments: ${body}`);
        assert.ok(body.includes(lead.reference_number));
        assert.ok(body.includes(LINKS.claim), "the claim link was cut");
      });
    }
  }
});

Deno.test("every email's subject is at most 150 characters and its HTML under 200 KB", async (t) => {
  for (const [name, fields] of HOSTILE) {
    const lead = makeLead({ ...fields, duplicate_of_reference: "PAG-261125-0041" });
    for (const template of EMAILS) {
      await t.step(`${name}: ${template}`, async () => {
        const email = await render<EmailMessage>(template, ctx(lead, { recipient: "a@b.co" }));
        assert.ok(email.subject.length <= 150, `${email.subject.length}: ${email.subject}`);
        const bytes = new TextEncoder().encode(email.html).length +
          new TextEncoder().encode(email.text ?? "").length;
        assert.ok(bytes < 200_000, `${bytes} bytes`);
      });
    }
  }
  await t.step(
    "the staff alert's subject keeps its duplicate marker when the vehicle is cut",
    async () => {
      const lead = makeLead({
        vehicle_make: "V".repeat(100_000),
        duplicate_of_reference: "PAG-261125-0041",
      });
      const { subject } = await render<EmailMessage>("staff_new_lead_email", ctx(lead));
      assert.match(subject, /V…/);
      assert.match(subject, /\(possible duplicate of Ref #PAG-261125-0041\)$/);
    },
  );
  await t.step("staff still read the whole 2,000-character note", async () => {
    const note = "Chip on the passenger side. ".repeat(71).trim();
    const { text } = await render<EmailMessage>(
      "staff_new_lead_email",
      ctx(makeLead({ notes: note })),
    );
    assert.ok(text?.replace(/\s+/g, " ").includes(note), "the note was cut");
  });
});

Deno.test("fitSms() takes the fullest wording that fits, then drops accents, then cuts the typed parts", async (t) => {
  const wordings = [
    (p: { name: string | null }) => `Hello ${p.name ?? "there"}, long wording. ${"x".repeat(100)}`,
    (p: { name: string | null }) => `Hi ${p.name ?? "there"}! Ref 1. STOP`,
  ];
  const cases: Array<[string, string | null, number, string]> = [
    ["a short name: the full wording", "Jane", 1, `Hello Jane, long wording. ${"x".repeat(100)}`],
    [
      "an accent: dropped to stay GSM-7",
      "María",
      1,
      `Hello Maria, long wording. ${"x".repeat(100)}`,
    ],
    ["Cyrillic: the shorter wording", "Дмитрий", 1, "Hi Дмитрий! Ref 1. STOP"],
    ["an emoji name: cut to fit", "😀".repeat(60), 1, `Hi ${"😀".repeat(25)}...! Ref 1. STOP`],
    ["no name: the fixed words alone", null, 1, `Hello there, long wording. ${"x".repeat(100)}`],
  ];
  for (const [name, value, segments, expected] of cases) {
    await t.step(name, () => {
      const body = fitSms(wordings, { name: value }, segments);
      assert.equal(body, expected);
      assert.ok(smsCost(body).segments <= segments);
    });
  }
  await t.step("fixed words over budget: the fullest wording, the name not cut for nothing", () => {
    const tooLong = (p: { name: string | null }) => `Hi ${p.name ?? "there"}! ${"x".repeat(200)}`;
    assert.equal(fitSms([tooLong], { name: "Jane" }, 1), `Hi Jane! ${"x".repeat(200)}`);
  });
});

Deno.test("customer-typed text loses invisible characters, and cuts never split a character", async (t) => {
  const cases: Array<[string, string, string | null]> = [
    ["zero-width space and joiner", "Ja\u200bne\u200d", "Jane"],
    ["right-to-left override", "Jane\u202e Doe", "Jane Doe"],
    ["control characters and tabs", "Ja\u0007ne\tDoe", "Jane Doe"],
    ["only invisible", "\u200b\ufeff", null],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => assert.equal(cleanText(input), expected));
  }
  await t.step("clip() keeps whole emoji and ends in …", () => {
    assert.equal(clip("👍🏽👍🏽👍🏽", 7), "👍🏽…");
    assert.equal(clip("short", 10), "short");
  });
  await t.step("gsmFriendly() drops only the accents GSM-7 lacks", () => {
    assert.equal(gsmFriendly("María José Ñúñez"), "Maria José Ñuñez");
    assert.equal(gsmFriendly("Дмитрий 😀"), "Дмитрий 😀");
  });
});
