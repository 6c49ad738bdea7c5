import assert from "node:assert/strict";
import { CATALOG, messageKind, type MessageKindName } from "../../shared/messages/catalog.ts";
import type { RenderContext } from "../../shared/messages/render.ts";
import type { EmailMessage } from "../../shared/channels/email.ts";
import type { SmsMessage } from "../../shared/channels/sms.ts";
import { type SmsCost, smsCost } from "../../templates/sms/segments.ts";
import type { Lead } from "../../shared/leads/types.ts";
import { makeLead, makeQuickQuoteLead, makeSettings } from "./_fixtures.ts";

const settings = makeSettings();
const photoUrls = [
  "https://abc.supabase.co/storage/v1/object/sign/lead-photos/1.jpg?token=t1&download=1",
  "https://abc.supabase.co/storage/v1/object/sign/lead-photos/2.jpg?token=t2",
];

function ctx(lead: Lead, overrides: Partial<RenderContext> = {}): RenderContext {
  return {
    lead,
    settings,
    recipient: lead.email ?? "jane.doe@example.com",
    photoUrls: [],
    priority: "normal",
    setup: { adminEmail: "admin@pinkautoglass.com" },
    now: new Date("2026-11-25T16:31:30Z"),
    ...overrides,
  };
}

async function email(template: MessageKindName, context: RenderContext): Promise<EmailMessage> {
  const kind = messageKind(template);
  assert.ok(kind?.event === "new_lead" && kind.channel === "email");
  return await kind.render(context) as EmailMessage;
}

async function sms(
  lead: Lead,
  context: Partial<RenderContext> = {},
): Promise<SmsMessage & SmsCost> {
  const kind = CATALOG.initial_confirmation_sms;
  assert.equal(kind.channel, "sms");
  const rendered = await kind.render(ctx(lead, { recipient: lead.phone_e164 ?? "", ...context }));
  return { ...rendered, ...smsCost(rendered.body) };
}

function assertNoGaps(text: string, where: string) {
  for (const bad of ["null", "undefined", "NaN", "[object Object]", "your  ", "  "]) {
    for (const line of text.split("\n")) {
      assert.ok(!line.includes(bad), `${where} contains ${JSON.stringify(bad)}: ${line}`);
    }
  }
  assert.ok(!/ [.,!)]/.test(text), `${where} has a space before punctuation`);
}

Deno.test("the catalog's renderers give emails their exact subject lines", async (t) => {
  await t.step("customer confirmation", async () => {
    const { subject } = await email("customer_confirmation_email", ctx(makeLead()));
    assert.equal(subject, "We received your request - Ref #PAG-261125-0042");
  });
  await t.step("staff alert", async () => {
    const { subject } = await email("staff_new_lead_email", ctx(makeLead()));
    assert.equal(subject, "🚨 New Lead: 2019 Honda Civic - Replacement");
  });
  await t.step("staff alert without a vehicle", async () => {
    const lead = makeQuickQuoteLead({ service_type: "repair" });
    const { subject } = await email("staff_new_lead_email", ctx(lead));
    assert.equal(subject, "🚨 New Lead: Vehicle not given - Repair");
  });
  await t.step("staff alert with part of a vehicle and service other", async () => {
    const lead = makeQuickQuoteLead({ vehicle_make: "  Subaru ", vehicle_model: "Outback\n" });
    const { subject } = await email("staff_new_lead_email", ctx(lead));
    assert.equal(subject, "🚨 New Lead: Subaru Outback - Other service");
  });
});

Deno.test("the catalog's renderers confirm the request to the customer (docs/plan.md §2.1 #1)", async () => {
  const { html, text } = await email("customer_confirmation_email", ctx(makeLead()));
  for (
    const expected of [
      "Hi Jane,",
      "We received your request for windshield replacement for your 2019 Honda Civic.",
      "Reference number: PAG-261125-0042",
      "Service: Replacement",
      "Vehicle: 2019 Honda Civic",
      "Preferred date: Friday, November 27, 2026",
      "We'll call you within 15 minutes to confirm your appointment.",
      "(720) 918-7465",
      "Pink Auto Glass",
      "1234 Colfax Ave, Denver, CO 80204",
    ]
  ) {
    assert.ok(text.includes(expected), `text lacks ${expected}`);
  }
  assert.ok(html.includes('href="tel:+17209187465"'));
  assert.ok(html.includes("1234 Colfax Ave, Denver, CO 80204"), "postal address in the HTML");
});

Deno.test("the catalog's renderers give staff everything needed to call back", async (t) => {
  const lead = makeLead();
  const { html, text } = await email(
    "staff_new_lead_email",
    ctx(lead, { photoUrls, priority: "high" }),
  );
  await t.step("contact links", () => {
    assert.ok(html.includes('href="tel:+17209187465"'));
    assert.ok(html.includes('href="mailto:jane.doe@example.com"'));
  });
  await t.step("every lead detail", () => {
    for (
      const expected of [
        "Name: Jane Doe",
        "Phone: (720) 918-7465",
        "Email: jane.doe@example.com",
        "Service: Replacement",
        "Vehicle: 2019 Honda Civic",
        "Mobile service: Yes, go to the customer",
        "Preferred date: Friday, November 27, 2026",
        "Address: 123 Main St, Denver, CO 80202",
        "Notes: Crack from a rock chip.\nDriver side.",
        "Source: Full Booking form",
        "Reference: PAG-261125-0042",
        "Received: Wed, Nov 25, 2026, 9:31 AM MST",
        "SMS consent: Yes, given Wed, Nov 25, 2026, 9:31 AM MST, via web_form_checkbox",
      ]
    ) {
      assert.ok(text.includes(expected), `text lacks ${expected}`);
    }
  });
  await t.step("created time in the business time zone", async () => {
    const eastern = await email(
      "staff_new_lead_email",
      { ...ctx(lead), settings: makeSettings({ time_zone: "America/New_York" }) },
    );
    assert.ok(eastern.text.includes("Received: Wed, Nov 25, 2026, 11:31 AM EST"));
  });
  await t.step("priority indicator", async () => {
    assert.ok(text.includes("HIGH PRIORITY"));
    const normal = await email("staff_new_lead_email", ctx(lead));
    assert.ok(normal.text.includes("Normal priority"));
    assert.ok(!normal.text.includes("HIGH PRIORITY"));
  });
  await t.step("photo links, escaped in HTML", () => {
    assert.ok(text.includes("Photos (2)"));
    assert.ok(html.includes(`href="${photoUrls[0].replace("&", "&amp;")}"`));
    assert.ok(html.includes(`href="${photoUrls[1]}"`));
  });
  await t.step("only web links count as photos", async () => {
    const { html } = await email(
      "staff_new_lead_email",
      ctx(lead, { photoUrls: ["javascript:alert(1)", photoUrls[1]] }),
    );
    assert.ok(!html.includes("javascript:"));
    assert.ok(html.includes("Photo 1"));
    assert.ok(!html.includes("Photo 2"));
  });
  await t.step("no consent is spelled out", async () => {
    const { text } = await email("staff_new_lead_email", ctx(makeQuickQuoteLead()));
    assert.ok(text.includes("SMS consent: No: do not text this customer"));
  });
  await t.step("postal address footer", () => {
    assert.ok(text.includes("1234 Colfax Ave, Denver, CO 80204"));
  });
});

Deno.test("the catalog's renderers word a quick-quote lead without gaps", async (t) => {
  const lead = makeQuickQuoteLead();
  await t.step("customer email (when the quick quote has an email)", async () => {
    const withEmail = { ...lead, email: "sam@example.com", first_name: "Sam" };
    const { subject, text } = await email("customer_confirmation_email", ctx(withEmail));
    assert.ok(text.includes("Hi Sam,"));
    assert.ok(text.includes("We received your request for auto glass service."));
    assert.ok(!text.includes("Vehicle:"));
    assertNoGaps(subject, "subject");
    assertNoGaps(text, "customer text");
  });
  await t.step("staff email", async () => {
    const { subject, text } = await email("staff_new_lead_email", ctx(lead));
    assert.equal(subject, "🚨 New Lead: Vehicle not given - Other service");
    for (
      const expected of ["Name: Jane\n", "Email: Not given", "Vehicle: Not given", "Notes: None"]
    ) {
      assert.ok(text.includes(expected), `text lacks ${expected}`);
    }
    assert.ok(text.includes("No photos uploaded."));
    assertNoGaps(subject, "subject");
    assertNoGaps(text, "staff text");
  });
  await t.step("SMS", async () => {
    const { body } = await sms(lead);
    assert.ok(body.startsWith("Hi Jane! We received your auto glass service request (Ref: "));
    assertNoGaps(body, "SMS");
  });
});

Deno.test("the catalog's renderers escape a malicious first name in HTML for staff, and never repeat it to the customer", async () => {
  const evil = makeLead({
    first_name: `<script>alert("x")</script>`,
    notes: `<img src=x onerror="alert(1)">`,
  });
  for (const template of ["customer_confirmation_email", "staff_new_lead_email"] as const) {
    const { html } = await email(template, ctx(evil));
    assert.ok(!html.includes("<script>"), `${template} has a raw script tag`);
    assert.ok(!html.includes("<img src=x"), `${template} has a raw img tag`);
  }
  const staff = await email("staff_new_lead_email", ctx(evil));
  assert.ok(staff.html.includes("&lt;script&gt;"), "staff see the name as typed, escaped");
  const customer = await email("customer_confirmation_email", ctx(evil));
  assert.ok(!customer.html.includes("script"), "the customer is not shown it");
  assert.ok(customer.html.includes("Hi there,"));
});

Deno.test("a customer's text and email never carry the words a stranger typed as a name or vehicle", async (t) => {
  const phishing = "Your Chase acct is locked. Verify at chase-secure.example/x today!";
  await t.step("the phishing first name", async () => {
    const { body } = await sms(makeLead({ first_name: phishing }));
    assert.ok(body.startsWith("Hi there! We received your windshield replacement request"), body);
    assert.ok(!/chase/i.test(body), body);
    const { html, text } = await email(
      "customer_confirmation_email",
      ctx(makeLead({ first_name: phishing })),
    );
    assert.ok(!/chase/i.test(html) && !/chase/i.test(text));
  });
  await t.step("a vehicle model that is a phone number and a link", async () => {
    const { body } = await sms(makeLead({ vehicle_model: "call 720 555 0199 bit.ly/x" }));
    assert.match(body, /for your 2019 Honda \(Ref/);
    assert.ok(!body.includes("555"), body);
  });
});

Deno.test("the catalog's renderers write the initial confirmation SMS (docs/plan.md §3.1 #1)", async (t) => {
  await t.step("the plan's wording with the business phone from settings", async () => {
    const { body } = await sms(makeLead(), {
      settings: makeSettings({ phone_display: "(303) 555-0100" }),
    });
    assert.equal(
      body,
      "Hi Jane! We received your windshield replacement request for your 2019 Honda Civic " +
        "(Ref: PAG-261125-0042).\n" +
        "We'll call you within 15 minutes to confirm your appointment.\n" +
        "Questions? Call (303) 555-0100\n\nText STOP to opt-out",
    );
  });
  await t.step("a typical lead fits 2 GSM-7 segments", async () => {
    const { segments, encoding } = await sms(makeLead());
    assert.equal(encoding, "GSM-7");
    assert.ok(segments <= 2, `${segments} segments`);
  });
  await t.step("every variant ends with the STOP footer", async () => {
    const leads = [
      makeLead(),
      makeQuickQuoteLead(),
      makeLead({ service_type: "calibration", vehicle_year: null }),
      makeLead({ first_name: "Łukasz", vehicle_model: "Model Y Long Range AWD Performance" }),
    ];
    for (const lead of leads) {
      const { body, segments } = await sms(lead);
      assert.ok(body.endsWith("\n\nText STOP to opt-out"), body);
      assert.ok(segments >= 1);
    }
  });
  await t.step("non-GSM characters switch the encoding to UCS-2", async () => {
    const { encoding } = await sms(makeLead({ first_name: "Łukasz" }));
    assert.equal(encoding, "UCS-2");
  });
});

Deno.test("the catalog knows no template it was not given", () => {
  assert.equal(messageKind("nope"), undefined);
  assert.equal(messageKind("toString"), undefined, "inherited names are not kinds");
});
