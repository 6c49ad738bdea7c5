-- Distribution and speed-to-lead: the right person is told at once, and nobody waits past
-- 15 minutes.
--
-- A new lead is scored (leads.priority) and given to the next person on shift who takes lead
-- alerts (round-robin: staff_members.last_assigned_at, read and written under a row lock while
-- the lead is planned, so restarts and concurrent leads stay fair). A high-priority lead also
-- texts the on-call person. Staff answer the alert's "I'm on it" link (the lead-action
-- function: lead_claimed / call_made); a lead with no staff action after
-- business_settings.escalation_minutes of opening hours is escalated once by the sweep
-- (lead_escalated). The same phone or email again within duplicate_window_minutes is a
-- possible duplicate: the customer is not confirmed twice, staff are told which lead it
-- repeats. Customers are promised a call within 15 minutes only while the shop is open.

-- The shop's hours: confirmations promise a call "within 15 minutes" only inside them, and
-- the escalation clock runs only inside them.
alter table public.business_settings
  add column business_hours jsonb default '{
    "mon": {"open": "08:00", "close": "18:00"}, "tue": {"open": "08:00", "close": "18:00"},
    "wed": {"open": "08:00", "close": "18:00"}, "thu": {"open": "08:00", "close": "18:00"},
    "fri": {"open": "08:00", "close": "18:00"}, "sat": {"open": "09:00", "close": "14:00"}
  }'::jsonb check (business_hours is null or jsonb_typeof(business_hours) = 'object'),
  add column escalation_minutes smallint not null default 15
    check (escalation_minutes between 1 and 1440),
  add column duplicate_window_minutes smallint not null default 30
    check (duplicate_window_minutes between 0 and 1440);
comment on column public.business_settings.business_hours is
  'Opening hours in the shop''s time zone, e.g. {"mon": {"open": "08:00", "close": "18:00"}, …}; a day left out is closed. Null: no hours kept (always promise a call within 15 minutes).';
comment on column public.business_settings.escalation_minutes is
  'A lead with no staff action (call_made, lead_claimed, status_updated, appointment_scheduled) after this many minutes of opening hours is escalated to the on-call person and the admin.';
comment on column public.business_settings.duplicate_window_minutes is
  'A lead with the same phone or email as one this many minutes earlier is a possible duplicate: the customer is not confirmed again. 0 turns this off.';

-- Who works when, and whose turn it is.
alter table public.staff_members
  add column time_zone text not null default 'America/Denver',
  add column working_hours jsonb check (working_hours is null or jsonb_typeof(working_hours) = 'object'),
  add column last_assigned_at timestamptz;
comment on column public.staff_members.time_zone is 'IANA time zone their working hours are in.';
comment on column public.staff_members.working_hours is
  'When they take leads, in their own time zone, e.g. {"mon": {"open": "08:00", "close": "17:00"}, …}; a day left out is off. Null: any time.';
comment on column public.staff_members.last_assigned_at is
  'When they were last given a lead; the next lead goes to whoever on shift was given one longest ago (round-robin).';
comment on column public.staff_members.receives_lead_alerts is
  'Takes new leads in turn (round-robin) and gets their alert email; the admin inbox is always copied.';
comment on column public.staff_members.on_call is
  'Texted for high-priority leads and for escalations (unless STAFF_ON_CALL_PHONE is set).';

alter table public.leads
  add column priority text check (priority in ('high', 'normal')),
  add column assigned_to uuid references public.staff_members (id) on delete set null,
  add column duplicate_of uuid references public.leads (id) on delete set null,
  add column escalated_at timestamptz;
comment on column public.leads.priority is
  'high | normal, scored when the lead is planned (docs/plan.md §4.2: replacement 3 else 1, photos 2, preferred date within 48 h 2, mobile 1, premium make 1; high from 5).';
comment on column public.leads.assigned_to is 'The staff member whose turn it was when the lead came in (null: the admin inbox).';
comment on column public.leads.duplicate_of is
  'The earlier lead with the same phone or email within business_settings.duplicate_window_minutes; the customer was not confirmed again.';
comment on column public.leads.escalated_at is 'When the sweep escalated the lead because no staff action came in time.';

create index leads_assigned_to_idx on public.leads (assigned_to);
create index leads_duplicate_of_idx on public.leads (duplicate_of);
create index leads_email_created_idx on public.leads (email, created_at);
create index leads_phone_created_idx on public.leads (phone_e164, created_at);
create index leads_awaiting_staff_idx on public.leads (created_at)
  where escalated_at is null and notifications_planned_at is not null;

alter table public.lead_activities drop constraint lead_activities_activity_type_check;
alter table public.lead_activities add constraint lead_activities_activity_type_check
  check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in', 'sms_received',
    'call_made', 'appointment_scheduled', 'appointment_cancelled', 'status_updated',
    'lead_assigned', 'lead_claimed', 'lead_escalated',
    'webhook_sent', 'webhook_failed',
    'notification_failed', 'notification_suppressed', 'notification_deferred'
  ));

-- An "I'm on it" link acts once: its id is kept on the activity it wrote.
create unique index lead_activities_action_link_idx
  on public.lead_activities ((metadata ->> 'action_link_id'))
  where metadata ? 'action_link_id';

insert into public.message_kinds (kind, channel, audience, description) values
  ('staff_on_call_sms', 'sms', 'staff',
   'Texts the on-call person a high-priority lead: name, vehicle, service, Ref, phone and the "I''m on it" link.'),
  ('staff_escalation_email', 'email', 'staff',
   'Tells the admin and the on-call person that a lead has waited past the escalation time with no staff action.'),
  ('staff_escalation_sms', 'sms', 'staff',
   'Texts the on-call person that a lead has waited past the escalation time with no staff action.');

-- Speed to lead, per lead and per day: seconds from the lead to the first staff action.
create view public.lead_response_times
  with (security_invoker = true)
as
select
  l.id as lead_id,
  l.reference_number,
  l.created_at,
  l.priority,
  s.full_name as assigned_to,
  first_action.at as first_staff_action_at,
  first_action.activity_type as first_staff_action,
  extract(epoch from first_action.at - l.created_at)::integer as seconds_to_first_action,
  l.escalated_at is not null as escalated,
  l.duplicate_of is not null as duplicate
from public.leads l
left join public.staff_members s on s.id = l.assigned_to
left join lateral (
  select a.created_at as at, a.activity_type
  from public.lead_activities a
  where a.lead_id = l.id
    and a.activity_type in ('call_made', 'lead_claimed', 'status_updated', 'appointment_scheduled')
  order by a.created_at
  limit 1
) first_action on true;
comment on view public.lead_response_times is
  'Per lead: seconds from the lead to the first staff action (call_made, lead_claimed, status_updated, appointment_scheduled), and whether it was escalated. Null seconds: nobody has acted yet.';

create view public.daily_response_times
  with (security_invoker = true)
as
select
  (r.created_at at time zone coalesce((select time_zone from public.business_settings), 'UTC'))::date as day,
  count(*) as leads,
  count(r.first_staff_action_at) as answered,
  percentile_cont(0.5) within group (order by r.seconds_to_first_action) as median_seconds,
  round(avg(case when r.seconds_to_first_action <= 300 then 1.0 else 0.0 end), 3) as share_within_5_min,
  round(avg(case when r.seconds_to_first_action <= 900 then 1.0 else 0.0 end), 3) as share_within_15_min,
  count(*) filter (where r.escalated) as escalated
from public.lead_response_times r
where not r.duplicate
group by 1;
comment on view public.daily_response_times is
  'Per day (shop time) of leads that are not duplicates: median seconds to the first staff action, and the share answered within 5 and within 15 minutes (unanswered leads count as not answered).';

revoke all on public.lead_response_times, public.daily_response_times from public, anon, authenticated;
grant select on public.lead_response_times, public.daily_response_times to service_role;
