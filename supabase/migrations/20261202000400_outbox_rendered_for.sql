-- An attempt in doubt repeats the very message it may already have delivered.
--
-- When a provider call gets no answer, the provider may have taken the message: the next
-- attempt looks it up (Twilio, by its words) or repeats the call under the same key (Resend),
-- and both need the same bytes as the first call. A message is rendered for the moment it is
-- sent ("we'll call you when we open today at 8:00 am" becomes "within 15 minutes" at 8:00),
-- so the moment a message on the wire was rendered for is kept with it, and an attempt in
-- doubt renders for that moment again instead of for its own.
--
--   prepare (renders for now) ─▶ mark on the wire: send_ref + rendered_for ─▶ call
--                                                                              │ no answer
--   prepare (renders for rendered_for, the same words) ◀── retry, in_doubt_since ◀┘

alter table public.notifications_outbox
  add column rendered_for timestamptz;

comment on column public.notifications_outbox.rendered_for is
  'The moment the message last put on the wire was rendered for (its wording depends on the time, e.g. the callback promise). An attempt in doubt (in_doubt_since) renders for it again, so the provider sees the same message.';
