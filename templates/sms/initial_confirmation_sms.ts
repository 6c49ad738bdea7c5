/**
 * Initial quote confirmation SMS (docs/plan.md §3.1 #1), sent right after a lead is saved to a
 * customer who gave SMS consent. Only GSM-7 characters in the fixed wording (a straight
 * apostrophe, no dashes or emoji), so a typical lead costs two segments, not four.
 */
import type { BusinessSettings, Lead } from "../../shared/leads/types.ts";
import { customerVehicle, customerWords, servicePhrase } from "../wording.ts";
import { fitSms } from "./fit.ts";

/** The opt-out line every marketing-capable SMS ends with. */
export const SMS_OPT_OUT_FOOTER = "Text STOP to opt-out";

/** The plan's promise, made while the shop is open (see shared/leads/business_hours.ts). */
export const CALL_WITHIN_15_MINUTES =
  "We'll call you within 15 minutes to confirm your appointment.";

/**
 * The message body, e.g.
 * `Hi Jane! We received your windshield replacement request for your 2019 Honda Civic
 * (Ref: PAG-261125-0042).` + when we will call (`callback`) + business phone + `Text STOP to opt-out`.
 * Without a vehicle the "for your …" part is left out, as is a name or vehicle that is not
 * plain words (customerWords: the shop never repeats a link or number a stranger typed).
 * Within two segments whatever the
 * customer typed (templates/sms/fit.ts): the vehicle goes first, then the promise; the Ref,
 * the phone and the opt-out line always stay.
 */
export function initialConfirmationSms(
  lead: Lead,
  settings: Pick<BusinessSettings, "phone_display">,
  callback: string = CALL_WITHIN_15_MINUTES,
): string {
  const received = (name: string | null, vehicle: string | null) =>
    `Hi ${name ?? "there"}! We received your ${servicePhrase(lead.service_type)} request${
      vehicle ? ` for your ${vehicle}` : ""
    } (Ref: ${lead.reference_number}).`;
  const questions = `Questions? Call ${settings.phone_display}`;
  return fitSms<"name" | "vehicle">([
    (p) => [received(p.name, p.vehicle), callback, questions, "", SMS_OPT_OUT_FOOTER].join("\n"),
    (p) => [received(p.name, null), callback, questions, "", SMS_OPT_OUT_FOOTER].join("\n"),
    (p) =>
      [
        `Hi ${p.name ?? "there"}! We got your request (Ref: ${lead.reference_number}).`,
        questions,
        "",
        SMS_OPT_OUT_FOOTER,
      ].join("\n"),
  ], { name: customerWords(lead.first_name, "name"), vehicle: customerVehicle(lead) });
}
