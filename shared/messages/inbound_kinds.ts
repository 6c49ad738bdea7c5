/**
 * What a customer's text calls for: the keyword replies (answered in TwiML) and the staff
 * email of any other text.
 */
// @ts-types="@types/react"
import { createElement } from "react";
import {
  StaffSmsReplyEmail,
  staffSmsReplySubject,
} from "../../templates/email/staff_sms_reply_email.tsx";
import { optOutConfirmationSms } from "../../templates/sms/opt_out_confirmation_sms.ts";
import { optInConfirmationSms } from "../../templates/sms/opt_in_confirmation_sms.ts";
import { helpReplySms } from "../../templates/sms/help_reply_sms.ts";
import { type InboundIntent, inboundLanguage } from "../compliance/sms_keywords.ts";
import { type InboundMessageKind, staffInbox } from "./kinds.ts";
import { type InboundRenderContext, renderEmail, renderSms } from "./render.ts";
import type { EmailMessage } from "../channels/email.ts";
import type { SmsMessage } from "../channels/sms.ts";

const staffSmsReplyEmail: InboundMessageKind<EmailMessage> = {
  channel: "email",
  audience: "staff",
  event: "sms_received",
  answers: "reply",
  description:
    "Forwards a customer's text (and its photos) to the shop's inbox, with the lead it belongs to.",
  address: (_inbound, setup) => staffInbox(setup, "the staff email of a customer's text"),
  render: (ctx) =>
    renderEmail(
      ctx,
      staffSmsReplySubject(ctx.inbound, ctx.lead),
      createElement(StaffSmsReplyEmail, {
        inbound: ctx.inbound,
        lead: ctx.lead,
        settings: ctx.settings,
      }),
    ),
};

/** A keyword's one reply, to the number that texted. */
function keywordReply(
  answers: InboundIntent,
  description: string,
  body: (ctx: InboundRenderContext) => string,
): InboundMessageKind<SmsMessage> {
  return {
    channel: "sms",
    audience: "customer",
    event: "sms_received",
    answers,
    inTwiml: true,
    description,
    address: (inbound) => ({ recipient: inbound.from_phone }),
    render: (ctx) => renderSms(ctx, body(ctx)),
  };
}

/** The kinds a customer's text plans, keyed by catalog name. */
export const INBOUND_KINDS = {
  staff_sms_reply_email: staffSmsReplyEmail,
  opt_out_confirmation_sms: keywordReply(
    "opt_out",
    "The one reply to an opt-out: no more texts will come, in Spanish to a Spanish opt-out (answered in TwiML).",
    (ctx) => optOutConfirmationSms(ctx.settings, inboundLanguage(ctx.inbound.body)),
  ),
  opt_in_confirmation_sms: keywordReply(
    "opt_in",
    "The reply to START, YES or UNSTOP: texts are back on (answered in TwiML).",
    (ctx) => optInConfirmationSms(ctx.settings),
  ),
  help_reply_sms: keywordReply(
    "help",
    "The reply to HELP or INFO (AYUDA or INFORMACION in Spanish): who we are, what the texts are, how to stop (answered in TwiML).",
    (ctx) => helpReplySms(ctx.settings, inboundLanguage(ctx.inbound.body)),
  ),
};
