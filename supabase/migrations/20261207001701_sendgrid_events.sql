-- SendGrid's Event Webhook (issue 23, part 1): SendGrid posts what became of each email it sent
-- (processed, deferred, delivered, bounce, dropped, spamreport, open…) to the sendgrid-events
-- function, signed with ECDSA. Each event is kept once, by its sg_event_id, so a retried post
-- changes nothing, and it does to its email what Resend's events do (delivery status, one
-- activity per email and kind, a hard bounce or a spam report on email_suppressions).
--
-- Only what the events say about delivery is kept, never the address or the client's IP or
-- user agent: nothing here names a person, so the retention purge and forget_customer() need
-- no step for it (a purged email's events lose their outbox_id).

create table public.sendgrid_events (
  sg_event_id text primary key,
  event_type text not null,
  sg_message_id text,
  outbox_id bigint references public.notifications_outbox (id) on delete set null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
comment on table public.sendgrid_events is
  'Every verified event SendGrid posted to sendgrid-events, once per sg_event_id (a retried post is recognised and changes nothing). outbox_id: the email it is about (by the outbox_key custom arg), null when no email of ours matches.';
comment on column public.sendgrid_events.sg_message_id is 'SendGrid''s id of the email (its X-Message-Id, then a dot and a suffix).';
comment on column public.sendgrid_events.payload is 'The event without the address, IP or user agent: timestamp, type or status of a bounce, the reason with any address masked.';
create index sendgrid_events_outbox_idx on public.sendgrid_events (outbox_id);

comment on column public.email_suppressions.resend_email_id is
  'The provider''s id of the email that bounced or was reported (Resend''s email id, or SendGrid''s X-Message-Id).';

alter table public.sendgrid_events enable row level security;
revoke all on public.sendgrid_events from anon, authenticated;
grant all on public.sendgrid_events to service_role;
