-- lead_activities: the audit trail of everything that happened to a lead.
--
-- Every notification outcome (sent, failed, suppressed, deferred, delivered) and every staff
-- action (call made, appointment scheduled) is a row here. Staff record appointments by
-- inserting an `appointment_scheduled` row from the dashboard; a webhook on this table
-- turns that into the customer's confirmation. The activity types are the TypeScript union
-- ACTIVITY_TYPES in shared/types.ts: one spelling for both.

create table public.lead_activities (
  id bigint generated always as identity primary key,
  lead_id uuid references public.leads (id) on delete cascade,
  activity_type text not null check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in',
    'call_made', 'appointment_scheduled', 'status_updated', 'webhook_sent',
    'notification_failed', 'notification_suppressed', 'notification_deferred'
  )),
  description text not null,
  metadata jsonb not null default '{}'::jsonb,
  created_by text not null default 'system',
  created_at timestamptz not null default now()
);
comment on table public.lead_activities is
  'Timeline of a lead: every message sent, failed, suppressed or delivered, and every staff action. Read it newest first.';
comment on column public.lead_activities.lead_id is 'The lead; null only for events about a phone number with no lead (e.g. STOP from an unknown number).';
comment on column public.lead_activities.activity_type is 'What happened; see the check constraint for the list.';
comment on column public.lead_activities.metadata is
  'Details: provider message id, template, masked recipient, error code, reason; for appointment_scheduled the appointment (starts_at, window, technician, address).';
comment on column public.lead_activities.created_by is '"system" for the functions, otherwise the staff member who recorded it.';

create index lead_activities_lead_idx on public.lead_activities (lead_id, created_at desc);
create index lead_activities_type_idx on public.lead_activities (activity_type, created_at desc);

alter table public.lead_activities enable row level security;
revoke all on public.lead_activities from anon, authenticated;
grant all on public.lead_activities to service_role;
