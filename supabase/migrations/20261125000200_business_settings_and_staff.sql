-- Who the business is and who works there.
--
-- business_settings holds what every message needs to say about the shop (name, phone,
-- postal address for CAN-SPAM) and the SMS rules it chose (send window, daily cap). It has
-- exactly one row. staff_members is the roster the alerts go to.

create table public.business_settings (
  id boolean primary key default true check (id),
  business_name text not null,
  phone_display text not null,
  phone_e164 text not null check (phone_e164 ~ '^\+[1-9][0-9]{7,14}$'),
  postal_address text not null,
  website_url text not null,
  reply_to_email text not null,
  time_zone text not null default 'America/Denver',
  sms_window_start_hour smallint not null default 8 check (sms_window_start_hour between 0 and 23),
  sms_window_end_hour smallint not null default 20 check (sms_window_end_hour between 1 and 24),
  sms_daily_cap smallint not null default 4 check (sms_daily_cap > 0),
  updated_at timestamptz not null default now(),
  constraint sms_window_is_not_empty check (sms_window_start_hour < sms_window_end_hour)
);
comment on table public.business_settings is
  'The business these notifications speak for. Exactly one row; every email and SMS reads it.';
comment on column public.business_settings.postal_address is
  'Printed in every email footer (CAN-SPAM requires a valid physical postal address).';
comment on column public.business_settings.time_zone is
  'IANA time zone of the shop; used when a lead gives no state.';
comment on column public.business_settings.sms_window_start_hour is
  'SMS are sent only from this hour (recipient local time, inclusive). Federal rule: 8.';
comment on column public.business_settings.sms_window_end_hour is
  'SMS are sent only before this hour (recipient local time). Federal: 21; our plan: 20. FL, OK and MD never later than 20 whatever this says.';
comment on column public.business_settings.sms_daily_cap is
  'Most SMS one phone number receives in 24 hours. FL, OK and MD never more than 3.';

create trigger business_settings_touch_updated_at
  before update on public.business_settings
  for each row execute function public.touch_updated_at();

create table public.staff_members (
  id uuid primary key default gen_random_uuid(),
  full_name text not null check (length(trim(full_name)) > 0),
  email text check (email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
  phone_e164 text check (phone_e164 ~ '^\+[1-9][0-9]{7,14}$'),
  role text not null check (role in ('owner', 'dispatcher', 'technician')),
  receives_lead_alerts boolean not null default false,
  on_call boolean not null default false,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table public.staff_members is
  'The shop''s people: who gets new-lead alerts, who is on call for high-priority leads, who can be a technician on an appointment.';
comment on column public.staff_members.receives_lead_alerts is 'Gets the new-lead alert email.';
comment on column public.staff_members.on_call is 'Gets an SMS for high-priority leads.';

create trigger staff_members_touch_updated_at
  before update on public.staff_members
  for each row execute function public.touch_updated_at();

-- Only the service role (the functions) and the dashboard read or change these.
alter table public.business_settings enable row level security;
alter table public.staff_members enable row level security;
revoke all on public.business_settings, public.staff_members from anon, authenticated;
grant all on public.business_settings, public.staff_members to service_role;
