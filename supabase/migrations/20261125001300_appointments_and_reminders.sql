-- Appointments: what staff confirm on the phone, the customer's confirmation with a calendar
-- invite, and the reminder the day before.
--
-- Staff record an appointment from the dashboard in one line:
--
--   select schedule_appointment('PAG-261125-0042', '2026-11-27 09:00', '9-11 am', 'Ava Chen');
--   select cancel_appointment('PAG-261125-0042', 'Customer sold the car');
--
-- Each keeps the lead's current appointment in public.appointments (one row per lead; every
-- change is a new version) and writes an appointment_scheduled / appointment_cancelled
-- activity holding the appointment. A database webhook on those two activity types (and no
-- other, so the functions' own log rows never call back) asks notify-lead to plan the
-- customer's confirmation, update or cancellation. Messages planned for an older version that
-- have not gone yet are suppressed at once (reason "superseded by version N").
--
--   schedule ──▶ version 1 ──webhook──▶ confirmation email (+ .ics) and SMS
--   schedule again ──▶ version 2 ──▶ "updated" email (same calendar UID, SEQUENCE 2) and SMS
--   cancel ──▶ version 3 ──▶ cancellation email (.ics METHOD:CANCEL) and SMS
--   pg_cron, every minute ──▶ send-reminders ──▶ one reminder per version, about 24 h ahead
--
-- The sweep plans what a lost webhook did not (planned_version behind version).

create table public.appointments (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null unique references public.leads (id) on delete cascade,
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
  version integer not null default 1 check (version > 0),
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  time_window text not null,
  time_zone text not null,
  technician_id uuid references public.staff_members (id) on delete set null,
  technician_name text not null,
  service_address text not null,
  notes text,
  cancel_reason text,
  rescheduled boolean not null default false,
  changed_at timestamptz not null default now(),
  planned_version integer,
  reminder_version integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (ends_at > starts_at)
);
comment on table public.appointments is
  'The current appointment of each lead (schedule_appointment / cancel_appointment write it). Every change is a new version; the customer hears about each version once.';
comment on column public.appointments.version is 'Goes up with every change (reschedule, cancel): the calendar invite''s SEQUENCE.';
comment on column public.appointments.starts_at is 'When the technician arrives at the earliest.';
comment on column public.appointments.ends_at is 'The end of the arrival window.';
comment on column public.appointments.time_window is 'The arrival window as staff typed it, e.g. "9-11 am".';
comment on column public.appointments.time_zone is 'The shop''s time zone when it was scheduled: how the times are shown.';
comment on column public.appointments.rescheduled is 'This version moved a scheduled appointment (the customer hears "updated").';
comment on column public.appointments.changed_at is 'When the current version was made.';
comment on column public.appointments.planned_version is 'The version whose confirmation (or cancellation) is in the outbox; behind version: the sweep plans it.';
comment on column public.appointments.reminder_version is 'The version whose reminder is in the outbox (or was skipped, with its reason).';

create index appointments_reminder_idx on public.appointments (starts_at)
  where status = 'scheduled';

create trigger appointments_touch_updated_at
  before update on public.appointments
  for each row execute function public.touch_updated_at();

alter table public.lead_activities drop constraint lead_activities_activity_type_check;
alter table public.lead_activities add constraint lead_activities_activity_type_check
  check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in', 'sms_received',
    'call_made', 'appointment_scheduled', 'appointment_cancelled', 'status_updated',
    'webhook_sent', 'webhook_failed',
    'notification_failed', 'notification_suppressed', 'notification_deferred'
  ));

insert into public.message_kinds (kind, channel, audience, description) values
  ('appointment_confirmation_email', 'email', 'customer',
   'Confirms (or updates) an appointment: details, technician, address, preparation, and a calendar invite.'),
  ('appointment_confirmation_sms', 'sms', 'customer',
   'Texts the confirmed (or moved) appointment: date, window, address, technician.'),
  ('appointment_cancellation_email', 'email', 'customer',
   'Tells the customer the appointment is cancelled; its invite removes it from their calendar.'),
  ('appointment_cancellation_sms', 'sms', 'customer',
   'Texts that the appointment is cancelled and how to book again.'),
  ('appointment_reminder_sms', 'sms', 'customer',
   'Reminds the customer about 24 hours ahead: date, window, address, technician, how to reschedule.'),
  ('appointment_reminder_email', 'email', 'customer',
   'The reminder by email, for a customer who cannot be texted.');

-- "9-11 am", "9 am - 11 am", "9:30-11:30", "11-1 pm", "1-3 pm", "13:00-15:00": the window's
-- start and end as times of day. Without am/pm the clock is 24-hour.
create or replace function public.parse_time_window(time_window text, out starts time, out ends time)
  language plpgsql
  immutable
  set search_path = ''
as $$
declare
  m text[] := regexp_match(
    lower(coalesce(time_window, '')),
    '^\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:-|–|to)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*$');
  h1 integer; h2 integer; ap1 text; ap2 text;
begin
  if m is null then
    raise exception 'Cannot read the window "%": write it like "9-11 am", "1-3 pm" or "13:00-15:00"', time_window;
  end if;
  h1 := m[1]::integer; h2 := m[4]::integer; ap1 := m[3]; ap2 := m[6];
  if ap1 is null and ap2 is not null then
    -- "11-1 pm" and "10-12 pm" start in the morning; "9-11 am" and "1-3 pm" keep one half of the day.
    ap1 := case when ap2 = 'pm' and h1 between 1 and 11 and (h1 > h2 or h2 = 12) then 'am' else ap2 end;
  elsif ap2 is null and ap1 is not null then
    ap2 := ap1;
  end if;
  if (ap1 is not null and (h1 not between 1 and 12 or h2 not between 1 and 12))
     or h1 > 23 or h2 > 23 or coalesce(m[2], '0')::integer > 59 or coalesce(m[5], '0')::integer > 59 then
    raise exception 'The window "%" has an hour or minute that does not exist', time_window;
  end if;
  if ap1 is not null then
    -- "10-12 am" ends at noon, as people say it.
    h2 := case when ap2 = 'am' and h2 = 12 and h1 < 12 then 12
               else h2 % 12 + case when ap2 = 'pm' then 12 else 0 end end;
    h1 := h1 % 12 + case when ap1 = 'pm' then 12 else 0 end;
  end if;
  starts := make_time(h1, coalesce(m[2], '0')::integer, 0);
  ends := make_time(h2, coalesce(m[5], '0')::integer, 0);
  if ends <= starts then
    raise exception 'The window "%" ends (%) before it starts (%)', time_window,
      to_char(ends, 'HH24:MI'), to_char(starts, 'HH24:MI');
  end if;
end
$$;
comment on function public.parse_time_window(text) is
  'Reads an arrival window such as "9-11 am" into its start and end times; raises a readable error otherwise.';

-- The appointment as messages and the activity log carry it.
create or replace function public.appointment_snapshot(a public.appointments)
  returns jsonb
  language sql
  immutable
  set search_path = ''
as $$
  select jsonb_build_object(
    'appointment_id', a.id, 'version', a.version, 'status', a.status,
    'starts_at', a.starts_at, 'ends_at', a.ends_at, 'time_window', a.time_window,
    'time_zone', a.time_zone, 'technician', a.technician_name,
    'service_address', a.service_address, 'notes', a.notes, 'cancel_reason', a.cancel_reason,
    'rescheduled', a.rescheduled, 'changed_at', a.changed_at)
$$;

-- Messages of an older version that have not gone yet never will.
create or replace function public.supersede_appointment_messages(a public.appointments)
  returns integer
  language plpgsql
  set search_path = ''
as $$
declare
  n integer;
begin
  update public.notifications_outbox
  set status = 'suppressed', status_reason = format('superseded by version %s', a.version),
      lease_until = null
  where lead_id = a.lead_id
    and payload -> 'appointment' ->> 'appointment_id' = a.id::text
    and (payload -> 'appointment' ->> 'version')::integer < a.version
    and status in ('pending', 'retry', 'deferred');
  get diagnostics n = row_count;
  return n;
end
$$;

create or replace function public.schedule_appointment(
  ref text,
  starts_at text,
  time_window text,
  technician text,
  notes text default null,
  service_address text default null
) returns text
  language plpgsql
  set search_path = ''
as $$
declare
  lead public.leads;
  shop public.business_settings;
  tech public.staff_members;
  previous public.appointments;
  a public.appointments;
  start_at timestamptz;
  local_start timestamp;
  win record;
  address text;
  rescheduled boolean;
begin
  select * into lead from public.leads l where l.reference_number = upper(trim(ref));
  if not found then
    raise exception 'No lead has the reference number "%"', ref
      using hint = 'The Ref is in the staff alert and the customer''s confirmation, e.g. PAG-261125-0042.';
  end if;
  select * into shop from public.business_settings limit 1;
  if not found then
    raise exception 'public.business_settings has no row: set the shop up first (see supabase/seed.sql)';
  end if;

  if coalesce(trim(starts_at), '') !~ '\d{1,2}:\d{2}' then
    raise exception 'Give the start with a time, like ''2026-11-27 09:00'' (shop time, %), not "%"',
      shop.time_zone, starts_at;
  end if;
  begin
    start_at := case
      when trim(starts_at) ~* '(z|[+-]\d{2}(:?\d{2})?)$' then trim(starts_at)::timestamptz
      else trim(starts_at)::timestamp at time zone shop.time_zone
    end;
  exception when others then
    raise exception 'Cannot read the start "%": write it like ''2026-11-27 09:00'' (shop time, %)',
      starts_at, shop.time_zone;
  end;
  if start_at <= now() then
    raise exception 'The start % is in the past (it is now % in %)',
      to_char(start_at at time zone shop.time_zone, 'Dy YYYY-MM-DD HH24:MI'),
      to_char(now() at time zone shop.time_zone, 'Dy YYYY-MM-DD HH24:MI'), shop.time_zone;
  end if;

  win := public.parse_time_window(time_window);
  local_start := start_at at time zone shop.time_zone;
  if local_start::time < win.starts or local_start::time >= win.ends then
    raise exception 'The start % is not inside the window "%" (% to %)',
      to_char(local_start, 'HH24:MI'), time_window, to_char(win.starts, 'HH24:MI'),
      to_char(win.ends, 'HH24:MI');
  end if;

  select * into tech from public.staff_members s
  where s.active and lower(s.full_name) = lower(trim(technician));
  if not found then
    -- A first name is enough when only one active staff member has it.
    select * into tech from public.staff_members s
    where s.active and lower(split_part(s.full_name, ' ', 1)) = lower(trim(technician))
      and (select count(*) from public.staff_members o
           where o.active and lower(split_part(o.full_name, ' ', 1)) = lower(trim(technician))) = 1;
  end if;
  if not found then
    raise exception 'No active staff member is named "%": choose one of %', technician,
      (select string_agg(s.full_name, ', ' order by s.full_name)
       from public.staff_members s where s.active);
  end if;

  address := coalesce(
    nullif(trim(service_address), ''),
    nullif(concat_ws(', ', nullif(trim(lead.address), ''), nullif(trim(lead.city), ''),
                     nullif(trim(concat_ws(' ', lead.state, lead.zip)), '')), ''),
    shop.postal_address);

  select * into previous from public.appointments p where p.lead_id = lead.id for update;
  rescheduled := found and previous.status = 'scheduled';
  insert into public.appointments as ap (
    lead_id, status, starts_at, ends_at, time_window, time_zone, technician_id, technician_name,
    service_address, notes, rescheduled, changed_at
  ) values (
    lead.id, 'scheduled', start_at,
    (local_start::date + win.ends) at time zone shop.time_zone,
    trim(time_window), shop.time_zone, tech.id, tech.full_name, address, nullif(trim(notes), ''),
    rescheduled, now()
  )
  on conflict (lead_id) do update set
    status = 'scheduled', version = ap.version + 1, starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, time_window = excluded.time_window,
    time_zone = excluded.time_zone, technician_id = excluded.technician_id,
    technician_name = excluded.technician_name, service_address = excluded.service_address,
    notes = excluded.notes, cancel_reason = null, rescheduled = excluded.rescheduled,
    changed_at = now()
  returning * into a;
  perform public.supersede_appointment_messages(a);

  insert into public.lead_activities (lead_id, activity_type, description, metadata, created_by)
  values (lead.id, 'appointment_scheduled',
    format('Appointment %s %s, %s, with %s at %s',
      case when rescheduled then 'moved to' else 'set for' end,
      to_char(local_start, 'Dy Mon FMDD'), a.time_window, a.technician_name, a.service_address),
    public.appointment_snapshot(a), session_user);

  return format('%s %s (%s): %s, %s, with %s at %s. Version %s; the customer''s %s is on its way.',
    case when rescheduled then 'Moved the appointment of' else 'Scheduled' end,
    concat_ws(' ', lead.first_name, lead.last_name), lead.reference_number,
    to_char(local_start, 'Dy Mon FMDD YYYY'), a.time_window, a.technician_name,
    a.service_address, a.version, case when rescheduled then 'update' else 'confirmation' end);
end
$$;
comment on function public.schedule_appointment(text, text, text, text, text, text) is
  'Schedules (or moves) the appointment of the lead with this Ref: select schedule_appointment(''PAG-261125-0042'', ''2026-11-27 09:00'', ''9-11 am'', ''Ava Chen''); A start without an offset is shop time; the address defaults to the lead''s.';

create or replace function public.cancel_appointment(ref text, reason text default null)
  returns text
  language plpgsql
  set search_path = ''
as $$
declare
  lead public.leads;
  a public.appointments;
begin
  select * into lead from public.leads l where l.reference_number = upper(trim(ref));
  if not found then
    raise exception 'No lead has the reference number "%"', ref;
  end if;
  update public.appointments p
  set status = 'cancelled', version = p.version + 1, cancel_reason = nullif(trim(reason), ''),
      rescheduled = false, changed_at = now()
  where p.lead_id = lead.id and p.status = 'scheduled'
  returning * into a;
  if not found then
    raise exception 'Lead % has no scheduled appointment to cancel', lead.reference_number;
  end if;
  perform public.supersede_appointment_messages(a);
  insert into public.lead_activities (lead_id, activity_type, description, metadata, created_by)
  values (lead.id, 'appointment_cancelled',
    format('Appointment of %s cancelled%s',
      to_char(a.starts_at at time zone a.time_zone, 'Dy Mon FMDD'),
      coalesce(': ' || a.cancel_reason, '')),
    public.appointment_snapshot(a), session_user);
  return format('Cancelled the appointment of %s (%s) on %s; the customer''s cancellation is on its way.',
    concat_ws(' ', lead.first_name, lead.last_name), lead.reference_number,
    to_char(a.starts_at at time zone a.time_zone, 'Dy Mon FMDD YYYY'));
end
$$;
comment on function public.cancel_appointment(text, text) is
  'Cancels the scheduled appointment of the lead with this Ref: select cancel_appointment(''PAG-261125-0042'', ''reason'');';

-- The database webhook on lead_activities, for the two types that notify the customer only.
create or replace function public.lead_activities_notify_webhook()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  begin
    perform public.call_function('notify-lead', jsonb_build_object(
      'type', tg_op,
      'table', tg_table_name,
      'schema', tg_table_schema,
      'record', to_jsonb(new),
      'old_record', null
    ));
  exception when others then
    raise warning 'notify-lead webhook for activity % was not queued (%); the sweep will plan it', new.id, sqlerrm;
  end;
  return null;
end
$$;
comment on function public.lead_activities_notify_webhook() is
  'Trigger (database webhook): after an appointment is scheduled or cancelled, asks notify-lead to tell the customer. Never fails the insert.';
revoke all on function public.lead_activities_notify_webhook() from public, anon, authenticated;

create trigger lead_activities_notify_webhook
  after insert on public.lead_activities
  for each row
  when (new.activity_type in ('appointment_scheduled', 'appointment_cancelled'))
  execute function public.lead_activities_notify_webhook();

-- What pg_cron runs every minute for the reminders.
create or replace function public.request_reminders()
  returns bigint
  language sql
  volatile
  security definer
  set search_path = ''
as $$
  select public.call_function('send-reminders', '{}'::jsonb, 55000)
$$;
comment on function public.request_reminders() is
  'Asks send-reminders to plan the reminders of appointments about 24 hours ahead and send what is due.';
revoke all on function public.request_reminders() from public, anon, authenticated;

select cron.schedule('leadwire-send-reminders', '* * * * *', 'select public.request_reminders()');

revoke all on function public.parse_time_window(text), public.appointment_snapshot(public.appointments),
  public.supersede_appointment_messages(public.appointments),
  public.schedule_appointment(text, text, text, text, text, text), public.cancel_appointment(text, text)
  from public, anon, authenticated;
grant execute on function public.schedule_appointment(text, text, text, text, text, text),
  public.cancel_appointment(text, text) to service_role;

alter table public.appointments enable row level security;
revoke all on public.appointments from anon, authenticated;
grant all on public.appointments to service_role;
