/**
 * Spanish texts are read like English ones: a short request to stop is an opt-out, a stop word
 * inside another sentence is a reply for staff, AYUDA asks who we are; and the keyword's reply
 * is in the customer's language, within the customer text budget.
 */
import assert from "node:assert/strict";
import {
  classifyInboundSms,
  type InboundIntent,
  inboundLanguage,
  type SmsLanguage,
} from "../../shared/compliance/sms_keywords.ts";
import { CATALOG } from "../../shared/messages/catalog.ts";
import type { InboundSms } from "../../shared/leads/types.ts";
import { smsCost } from "../../templates/sms/segments.ts";
import { CUSTOMER_SMS_SEGMENTS } from "../../templates/sms/fit.ts";
import { makeSettings } from "./_fixtures.ts";

const cases: [string, InboundIntent][] = [
  // Spanish keywords alone, in any case, with or without accents and ¡! around them.
  ["PARAR", "opt_out"],
  ["Parar.", "opt_out"],
  ["¡ALTO!", "opt_out"],
  ["alto 🛑", "opt_out"],
  ["CANCELAR", "opt_out"],
  ["Baja", "opt_out"],
  ["BASTA YA", "opt_out"],
  ["Paren", "opt_out"],
  ["desuscribirme", "opt_out"],
  // Short requests to stop in other words.
  ["por favor paren", "opt_out"],
  ["Paren por favor, gracias", "opt_out"],
  ["no me manden más mensajes", "opt_out"],
  ["No me manden mas mensajes", "opt_out"],
  ["ya no me manden mensajes", "opt_out"],
  ["YA NO ME MANDEN MENSAJES!!!", "opt_out"],
  ["No quiero más mensajes", "opt_out"],
  ["no quiero recibir mas textos", "opt_out"],
  ["No más mensajes por favor", "opt_out"],
  ["Sáquenme de la lista", "opt_out"],
  ["saquenme de su lista porfa", "opt_out"],
  ["Quítenme de la lista", "opt_out"],
  ["Quiero darme de baja", "opt_out"],
  ["dejen de mandarme mensajes", "opt_out"],
  ["No me envíen más mensajes a este número", "opt_out"],
  ["Alto a los mensajes", "opt_out"],
  ["Cancelar suscripción", "opt_out"],
  ["STOP por favor", "opt_out"],
  ["¡Ya no me escriban!", "opt_out"],
  ["Nunca más me manden mensajes", "opt_out"],
  ["No me vuelvan a mandar mensajes", "opt_out"],
  ["No quiero recibir más mensajes de ustedes", "opt_out"],
  // A stop word inside an unrelated sentence, or negated, is a reply, for a person.
  ["No puedo parar hoy", "reply"],
  ["cancelar mi cita", "reply"],
  ["Quiero cancelar la cita del martes", "reply"],
  ["alto el parabrisas esta roto", "reply"],
  ["el vidrio no para de crujir", "reply"],
  ["¿A qué hora paran de trabajar?", "reply"],
  ["No paren, todavía necesito la cotización", "reply"],
  ["no cancelen por favor", "reply"],
  ["no me den de baja", "reply"],
  ["La ventana no baja", "reply"],
  ["¿Pueden cancelar y cambiar la cita para el viernes?", "reply"],
  ["¿Me pueden mandar la cotización por mensaje?", "reply"],
  ["Ayuda con mi parabrisas", "reply"],
  // "Sí" answers staff: it is not an opt-in (see sms_keywords.ts).
  ["Sí", "reply"],
  ["si, a las 9 esta bien", "reply"],
  // Help in Spanish, alone.
  ["AYUDA", "help"],
  ["ayuda?", "help"],
  ["¿Ayuda?", "help"],
  ["Información", "help"],
  ["INFORMACION", "help"],
];

Deno.test("classifyInboundSms() reads Spanish texts as opt-out, help or reply", async (t) => {
  for (const [text, intent] of cases) {
    await t.step(`${JSON.stringify(text)} → ${intent}`, () => {
      assert.equal(classifyInboundSms(text), intent);
    });
  }
});

const languages: [string, SmsLanguage][] = [
  ["PARAR", "es"],
  ["ya no me manden mensajes", "es"],
  ["Sáquenme de la lista", "es"],
  ["STOP por favor", "es"],
  ["AYUDA", "es"],
  ["Información", "es"],
  // Nothing in a lone English keyword says Spanish.
  ["STOP", "en"],
  ["Stop texting me", "en"],
  ["HELP", "en"],
  ["INFO", "en"],
  ["START", "en"],
  // A reply is not answered: English, whatever its words.
  ["cancelar mi cita", "en"],
  ["I can't stop by today", "en"],
];

Deno.test("inboundLanguage() answers a keyword in Spanish when only Spanish words made it one", async (t) => {
  for (const [text, language] of languages) {
    await t.step(`${JSON.stringify(text)} → ${language}`, () => {
      assert.equal(inboundLanguage(text), language);
    });
  }
});

function inbound(body: string): InboundSms {
  return {
    id: "1",
    message_sid: `SM${"0".repeat(32)}`,
    from_phone: "+17205551234",
    to_phone: "+17209187465",
    body,
    media: [],
    intent: classifyInboundSms(body),
    opt_out_type: null,
    lead_id: null,
    received_at: new Date("2026-12-07T16:00:00Z"),
  };
}

async function keywordReply(
  kind: "opt_out_confirmation_sms" | "help_reply_sms",
  body: string,
  settings = makeSettings(),
): Promise<string> {
  const rendered = await CATALOG[kind].render({
    inbound: inbound(body),
    lead: null,
    settings,
    recipient: "+17205551234",
    setup: { adminEmail: "admin@pinkautoglass.com" },
  });
  return rendered.body;
}

/** A long name and website: the budget must hold for more than Pink Auto Glass. */
const LONG_SHOP = makeSettings({
  business_name: "Rocky Mountain Windshield & Auto Glass",
  website_url: "https://www.rockymountainwindshieldrepair.com/",
});

Deno.test("the opt-out confirmation is in Spanish to a Spanish opt-out, GSM-7 in one segment", async (t) => {
  for (const text of ["PARAR", "ya no me manden mensajes", "STOP por favor"]) {
    await t.step(JSON.stringify(text), async () => {
      const reply = await keywordReply("opt_out_confirmation_sms", text);
      assert.equal(
        reply,
        "Pink Auto Glass: Se dio de baja y ya no le enviaremos mensajes. " +
          "Responda START para volver a suscribirse.",
      );
      assert.deepEqual(smsCost(reply), { segments: 1, encoding: "GSM-7" });
      const long = await keywordReply("opt_out_confirmation_sms", text, LONG_SHOP);
      assert.match(long, /^Rocky Mountain Windshield & Auto Glass: /);
      assert.deepEqual(smsCost(long), { segments: 1, encoding: "GSM-7" });
    });
  }
  await t.step('"STOP" is still answered in English', async () => {
    assert.match(
      await keywordReply("opt_out_confirmation_sms", "STOP"),
      /^Pink Auto Glass: You're unsubscribed and will get no more texts from us\. Reply START/,
    );
  });
});

Deno.test("the HELP reply is in Spanish to AYUDA, with all CTIA asks, GSM-7 in at most two segments", async (t) => {
  for (const text of ["AYUDA", "Información"]) {
    await t.step(JSON.stringify(text), async () => {
      const reply = await keywordReply("help_reply_sms", text);
      for (
        const part of [
          /^Pink Auto Glass: /,
          /cotizaciones y citas/,
          /Ayuda: \(720\) 918-7465, pinkautoglass\.com\./,
          /La frecuencia de mensajes puede variar\./,
          /Pueden aplicarse tarifas de mensajes y datos\./,
          /Responda STOP \(o PARAR\) para cancelar\.$/,
        ]
      ) {
        assert.match(reply, part);
      }
      assert.deepEqual(smsCost(reply), { segments: 2, encoding: "GSM-7" });
      const long = await keywordReply("help_reply_sms", text, LONG_SHOP);
      assert.match(long, /rockymountainwindshieldrepair\.com\./);
      const cost = smsCost(long);
      assert.equal(cost.encoding, "GSM-7");
      assert.ok(cost.segments <= CUSTOMER_SMS_SEGMENTS, `${cost.segments} segments: ${long}`);
    });
  }
  await t.step('"HELP" is still answered in English, in one segment', async () => {
    const reply = await keywordReply("help_reply_sms", "HELP");
    assert.match(reply, /Msg & data rates may apply\. Reply STOP to opt out\.$/);
    assert.deepEqual(smsCost(reply), { segments: 1, encoding: "GSM-7" });
  });
});
