-- Spanish opt-outs and help, answered in Spanish.
--
-- Many of the shop's customers write in Spanish: "PARAR", "ALTO", "ya no me manden mensajes"
-- now stop every text (the FCC's 2025 rule: consent is revoked "by any reasonable means"), and
-- "AYUDA" is answered. The reading is shared/compliance/sms_keywords.ts; nothing here reads a
-- keyword. Only what an admin reads changes: the catalog's descriptions and the intent column.

update public.message_kinds
set description = 'The one reply to an opt-out: no more texts will come, in Spanish to a Spanish opt-out (answered in TwiML).'
where kind = 'opt_out_confirmation_sms';

update public.message_kinds
set description = 'The reply to HELP or INFO (AYUDA or INFORMACION in Spanish): who we are, what the texts are, how to stop (answered in TwiML).'
where kind = 'help_reply_sms';

comment on column public.sms_inbound_messages.intent is
  'How it was read: opt_out (STOP and the like, PARAR, ALTO, BAJA and the like in Spanish), opt_in (START, YES, UNSTOP), help (HELP, INFO, AYUDA, INFORMACION), or reply (sent on to staff).';
