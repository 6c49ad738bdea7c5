-- The message catalog, as admins see it, and the webhook channel's activities.
--
-- Every kind of message leadwire sends is an entry of the catalog in
-- shared/messages/catalog.ts (its channel, who it is for, how it is planned and rendered).
-- This table lists the same kinds for the dashboard, and notifications_outbox.template
-- must name one of them, so an outbox row can never carry a kind nothing knows how to send.
-- A parity test keeps this table and the TypeScript catalog equal: adding a kind is a
-- catalog entry, its template, a row inserted here (in a new migration) and its tests.
--
-- The CRM and Slack webhooks (docs/plan.md §4.3, §7.2) are planned only where WEBHOOK_CRM_URL /
-- WEBHOOK_SLACK_URL are set; their outcomes are logged as webhook_sent / webhook_failed.

create table public.message_kinds (
  kind text primary key,
  channel text not null check (channel in ('email', 'sms', 'webhook')),
  audience text not null check (audience in ('customer', 'staff')),
  description text not null
);
comment on table public.message_kinds is
  'Every kind of message leadwire sends (the catalog in shared/messages/catalog.ts). notifications_outbox.template names one of these.';
comment on column public.message_kinds.audience is
  'customer: sent first, and texts follow SMS law (consent, opt-out, daily cap, quiet hours); staff: the shop''s own people and systems.';

insert into public.message_kinds (kind, channel, audience, description) values
  ('customer_confirmation_email', 'email', 'customer',
   'Tells the customer we received their request, with its reference number.'),
  ('staff_new_lead_email', 'email', 'staff',
   'Alerts the shop''s inbox with everything needed to call the customer back.'),
  ('initial_confirmation_sms', 'sms', 'customer',
   'Texts the customer their reference number (only with SMS consent).'),
  ('crm_new_lead_webhook', 'webhook', 'staff',
   'Posts the lead to the shop''s CRM (WEBHOOK_CRM_URL), signed when a secret is set.'),
  ('slack_new_lead_webhook', 'webhook', 'staff',
   'Posts a readable new-lead message to the shop''s Slack channel (WEBHOOK_SLACK_URL).');

alter table public.message_kinds enable row level security;
revoke all on public.message_kinds from anon, authenticated;
grant select on public.message_kinds to service_role;

alter table public.notifications_outbox
  add constraint notifications_outbox_template_fkey
  foreign key (template) references public.message_kinds (kind);
comment on column public.notifications_outbox.template is
  'The message kind (public.message_kinds): which catalog entry plans and renders it.';
comment on column public.notifications_outbox.recipient is
  'Email address or E.164 phone the message goes to; for a webhook, the receiver and its host (e.g. "CRM (crm.example.com)"), never its secret URL.';

alter table public.lead_activities drop constraint lead_activities_activity_type_check;
alter table public.lead_activities add constraint lead_activities_activity_type_check
  check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in',
    'call_made', 'appointment_scheduled', 'status_updated', 'webhook_sent', 'webhook_failed',
    'notification_failed', 'notification_suppressed', 'notification_deferred'
  ));

-- Customers first, across leads: in a burst, every lead's confirmation is claimed before any
-- lead's staff alert or webhook. The catalog gives each message its rank when it is planned
-- (customer 0, staff 1); the claim (next migration) takes due rows lowest rank first, then
-- oldest first.
alter table public.notifications_outbox add column rank smallint not null default 0;
comment on column public.notifications_outbox.rank is
  'Claim order among due rows, lowest first: 0 for messages to customers (someone is waiting), 1 for staff.';

drop index public.notifications_outbox_due_idx;
create index notifications_outbox_due_idx on public.notifications_outbox (rank, next_attempt_at)
  where status in ('pending', 'retry', 'deferred');

-- The daily SMS cap counts a phone's texts of the last 24 hours, once when a lead is planned
-- and again before each text: without this index every count read the whole outbox.
create index notifications_outbox_sms_sent_idx on public.notifications_outbox (recipient, sent_at)
  where channel = 'sms' and status = 'sent';
