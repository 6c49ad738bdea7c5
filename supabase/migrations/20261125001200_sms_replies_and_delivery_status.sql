-- What customers text back, and what Twilio tells us about the texts we sent.
--
-- Twilio posts two kinds of signed form requests to the twilio-inbound function: a message a
-- customer sent to the shop's number, and status callbacks for the texts we sent. This
-- migration gives them a place:
--
--   customer texts the shop ──▶ sms_inbound_messages (one row per MessageSid: a webhook Twilio
--                               retries is recognised and changes nothing the second time)
--       STOP, "please stop texting me"… ──▶ sms_consent_events opt_out, waiting texts suppressed,
--                                           sms_opt_out on every lead with that phone, one reply
--       START / YES / UNSTOP ─────────────▶ sms_consent_events opt_in, sms_opt_in, one reply
--       HELP / INFO ──────────────────────▶ one reply (who we are, how to stop); no change
--       anything else ────────────────────▶ sms_received on the phone's latest lead, and an
--                                           email to the staff inbox (staff_sms_reply_email)
--   status callback ──▶ notifications_outbox.delivery_status (a final state never goes back),
--                       sms_delivered / sms_failed once per message;
--                       21610 ──▶ an opt-out; 30003/30005/30006 ──▶ sms_unreachable_phones
--
-- The keyword replies are answered in the TwiML of the webhook's response (Twilio sends them);
-- they are recorded in notifications_outbox as sent, so the outbox lists every text the shop sent.

create table public.sms_inbound_messages (
  id bigint generated always as identity primary key,
  message_sid text not null unique,
  from_phone text not null,
  to_phone text,
  body text not null default '',
  media jsonb not null default '[]'::jsonb,
  intent text not null check (intent in ('opt_out', 'opt_in', 'help', 'reply')),
  opt_out_type text,
  lead_id uuid references public.leads (id) on delete set null,
  received_at timestamptz not null default now()
);
comment on table public.sms_inbound_messages is
  'Every text a customer sent to the shop''s number (Twilio''s inbound webhook), once per Twilio MessageSid.';
comment on column public.sms_inbound_messages.from_phone is 'The customer''s number as Twilio gave it (E.164).';
comment on column public.sms_inbound_messages.media is 'MMS attachments: [{ "url", "content_type" }] (Twilio-hosted links).';
comment on column public.sms_inbound_messages.intent is
  'How it was read: opt_out (STOP and the like), opt_in (START, YES, UNSTOP), help (HELP, INFO), or reply (sent on to staff).';
comment on column public.sms_inbound_messages.opt_out_type is
  'Twilio Advanced Opt-Out''s reading (STOP, START, HELP) when it is on: Twilio then answered the customer itself.';
comment on column public.sms_inbound_messages.lead_id is 'The latest lead with this phone when the text arrived; null for a number with no lead.';
create index sms_inbound_messages_from_idx on public.sms_inbound_messages (from_phone, received_at desc);

create table public.sms_unreachable_phones (
  phone_e164 text primary key,
  error_code integer not null,
  reason text not null,
  message_sid text,
  recorded_at timestamptz not null default now()
);
comment on table public.sms_unreachable_phones is
  'Numbers the carrier said cannot take texts (Twilio 30003 unreachable, 30005 unknown, 30006 landline). Texts to them are suppressed (reason unreachable) and staff alerts say so. Delete the row to try the number again; a text from the number clears it.';

alter table public.lead_activities drop constraint lead_activities_activity_type_check;
alter table public.lead_activities add constraint lead_activities_activity_type_check
  check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in', 'sms_received',
    'call_made', 'appointment_scheduled', 'status_updated', 'webhook_sent', 'webhook_failed',
    'notification_failed', 'notification_suppressed', 'notification_deferred'
  ));

insert into public.message_kinds (kind, channel, audience, description) values
  ('staff_sms_reply_email', 'email', 'staff',
   'Forwards a customer''s text (and its photos) to the shop''s inbox, with the lead it belongs to.'),
  ('opt_out_confirmation_sms', 'sms', 'customer',
   'The one reply to an opt-out: no more texts will come (answered in TwiML).'),
  ('opt_in_confirmation_sms', 'sms', 'customer',
   'The reply to START, YES or UNSTOP: texts are back on (answered in TwiML).'),
  ('help_reply_sms', 'sms', 'customer',
   'The reply to HELP or INFO: who we are, what the texts are, how to stop (answered in TwiML).');

-- Status callbacks find their message by Twilio's SID, once per callback.
drop index public.notifications_outbox_provider_id_idx;
create index notifications_outbox_provider_id_idx on public.notifications_outbox (provider_message_id)
  where provider_message_id is not null;

-- Opt-outs suppress a phone's waiting texts at once.
create index notifications_outbox_waiting_sms_idx on public.notifications_outbox (recipient)
  where channel = 'sms' and status in ('pending', 'retry', 'deferred');

alter table public.sms_inbound_messages enable row level security;
alter table public.sms_unreachable_phones enable row level security;
revoke all on public.sms_inbound_messages, public.sms_unreachable_phones from anon, authenticated;
grant all on public.sms_inbound_messages, public.sms_unreachable_phones to service_role;
