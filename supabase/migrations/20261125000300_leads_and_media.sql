-- Leads: what the web forms (anon key) and the site's API (service role) save.
--
-- A lead is saved before any notification work, so everything about it that a message needs
-- lives here. The database gives each lead a reference number the customer can quote, and
-- refuses malformed leads with a message a form can show next to the field
-- (errcode 23514, the field name in the COLUMN detail, an example in the HINT).

create sequence public.lead_reference_seq;
comment on sequence public.lead_reference_seq is 'Feeds leads.reference_number.';

create or replace function public.next_lead_reference()
  returns text
  language sql
  volatile
  security definer
  set search_path = ''
as $$
  select 'PAG-' || to_char(now() at time zone 'utc', 'YYMMDD') || '-'
    || lpad(nextval('public.lead_reference_seq')::text, 4, '0')
$$;
comment on function public.next_lead_reference() is
  'A reference number like PAG-261125-0042: the day the lead came in and a running number. Security definer so a form may create one without rights on the sequence.';
revoke all on function public.next_lead_reference() from public;
grant execute on function public.next_lead_reference() to anon, authenticated, service_role;

create table public.leads (
  id uuid primary key default gen_random_uuid(),
  reference_number text not null unique default public.next_lead_reference(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  first_name text not null,
  last_name text,
  email text,
  phone_e164 text,
  vehicle_year smallint,
  vehicle_make text,
  vehicle_model text,
  service_type text not null,
  mobile_service boolean not null default false,
  preferred_date date,
  address text,
  city text,
  state text,
  zip text,
  notes text,
  sms_consent boolean not null default false,
  sms_consent_at timestamptz,
  sms_consent_source text,
  sms_consent_text text,
  source_form text not null default 'full_booking',
  status text not null default 'new',
  notifications_planned_at timestamptz
);

comment on table public.leads is
  'Booking and quote requests from the website. One row per request; saved before any notification is attempted.';
comment on column public.leads.reference_number is 'What the customer quotes on the phone; sent in every confirmation.';
comment on column public.leads.phone_e164 is 'Customer phone in E.164 (+17209187465). SMS go here only with consent.';
comment on column public.leads.service_type is 'repair | replacement | calibration | other.';
comment on column public.leads.mobile_service is 'The customer wants the technician to come to them.';
comment on column public.leads.preferred_date is 'The day the customer asked for; not yet an appointment.';
comment on column public.leads.sms_consent is 'The customer ticked the SMS consent box on the form.';
comment on column public.leads.sms_consent_at is 'When consent was given (set by the database, not the form).';
comment on column public.leads.sms_consent_source is 'How consent was given, e.g. web_form_checkbox.';
comment on column public.leads.sms_consent_text is 'The consent wording the customer saw.';
comment on column public.leads.source_form is 'quick_quote | full_booking | api.';
comment on column public.leads.status is 'new | contacted | scheduled | completed | lost (staff workflow).';
comment on column public.leads.notifications_planned_at is
  'When notify-lead recorded this lead''s messages in notifications_outbox. Null for a while after insert; the sweep plans any lead still null after a grace period.';

create index leads_phone_e164_idx on public.leads (phone_e164);
create index leads_unplanned_idx on public.leads (created_at) where notifications_planned_at is null;

create trigger leads_touch_updated_at
  before update on public.leads
  for each row execute function public.touch_updated_at();

-- Raises the error a form shows for one bad field.
create or replace function public.reject_lead_field(field text, problem text, example text)
  returns void
  language plpgsql
  volatile
  set search_path = ''
as $$
begin
  raise exception '%', problem
    using errcode = 'check_violation', column = field, table = 'leads', schema = 'public',
          hint = 'Example of a valid ' || field || ': ' || example;
end
$$;
comment on function public.reject_lead_field(text, text, text) is 'Raises a 23514 error naming the field, for lead validation.';

create or replace function public.leads_reject_malformed()
  returns trigger
  language plpgsql
  security invoker
  set search_path = ''
as $$
begin
  new.first_name := trim(new.first_name);
  new.email := nullif(lower(trim(new.email)), '');
  new.state := nullif(upper(trim(new.state)), '');
  new.zip := nullif(trim(new.zip), '');

  if new.first_name is null or new.first_name = '' then
    perform public.reject_lead_field('first_name', 'Please give a first name.', 'Jane');
  elsif length(new.first_name) > 100 then
    perform public.reject_lead_field('first_name', 'First name is too long (100 characters at most).', 'Jane');
  end if;
  if new.email is null and new.phone_e164 is null then
    perform public.reject_lead_field('email', 'Please give an email address or a phone number so we can reach you.', 'jane@example.com');
  end if;
  if new.email is not null and new.email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    perform public.reject_lead_field('email', format('Email "%s" is not a valid email address.', new.email), 'jane@example.com');
  end if;
  if new.phone_e164 is not null and new.phone_e164 !~ '^\+[1-9][0-9]{7,14}$' then
    perform public.reject_lead_field('phone_e164', format('Phone "%s" is not a valid phone number in international format.', new.phone_e164), '+17209187465');
  end if;
  if new.service_type is null or new.service_type not in ('repair', 'replacement', 'calibration', 'other') then
    perform public.reject_lead_field('service_type', format('Service "%s" is not one we offer (repair, replacement, calibration, other).', coalesce(new.service_type, '')), 'replacement');
  end if;
  if new.vehicle_year is not null
     and (new.vehicle_year < 1950 or new.vehicle_year > extract(year from now())::int + 2) then
    perform public.reject_lead_field('vehicle_year', format('Vehicle year %s is not a real model year.', new.vehicle_year), '2019');
  end if;
  if new.state is not null and new.state !~ '^[A-Z]{2}$' then
    perform public.reject_lead_field('state', format('State "%s" should be a two-letter code.', new.state), 'CO');
  end if;
  if new.zip is not null and new.zip !~ '^[0-9]{5}(-[0-9]{4})?$' then
    perform public.reject_lead_field('zip', format('ZIP code "%s" is not valid.', new.zip), '80202');
  end if;
  if new.source_form not in ('quick_quote', 'full_booking', 'api') then
    perform public.reject_lead_field('source_form', format('Unknown form "%s".', new.source_form), 'quick_quote');
  end if;
  if new.status not in ('new', 'contacted', 'scheduled', 'completed', 'lost') then
    perform public.reject_lead_field('status', format('Unknown lead status "%s".', new.status), 'contacted');
  end if;
  if new.sms_consent and new.phone_e164 is null then
    perform public.reject_lead_field('sms_consent', 'SMS consent needs a phone number to text.', 'true with phone_e164 +17209187465');
  end if;

  -- Consent time is the database's word, not the form's.
  if tg_op = 'INSERT' then
    new.sms_consent_at := case when new.sms_consent then now() end;
    new.sms_consent_source := case when new.sms_consent then coalesce(new.sms_consent_source, 'web_form_checkbox') end;
  end if;
  return new;
end
$$;
comment on function public.leads_reject_malformed() is
  'Trigger: normalises a lead and rejects malformed fields with a message a form can show.';

create trigger leads_reject_malformed
  before insert or update on public.leads
  for each row execute function public.leads_reject_malformed();

create table public.media (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null references public.leads (id) on delete cascade,
  bucket text not null default 'lead-photos',
  object_path text not null,
  content_type text,
  size_bytes integer check (size_bytes >= 0),
  created_at timestamptz not null default now(),
  unique (bucket, object_path)
);
comment on table public.media is 'Photos a customer uploaded with a lead; the files live in Supabase Storage.';
comment on column public.media.object_path is 'Path of the file inside the Storage bucket.';
create index media_lead_id_idx on public.media (lead_id);

-- Row level security. A form (anon) may submit a lead and nothing else: no reads anywhere,
-- and only the columns a customer fills in. The functions use the service role.
alter table public.leads enable row level security;
alter table public.media enable row level security;

revoke all on public.leads, public.media from anon, authenticated;
revoke all on sequence public.lead_reference_seq from anon, authenticated;
grant all on public.leads, public.media to service_role;

grant insert (
  first_name, last_name, email, phone_e164, vehicle_year, vehicle_make, vehicle_model,
  service_type, mobile_service, preferred_date, address, city, state, zip, notes,
  sms_consent, sms_consent_source, sms_consent_text, source_form
) on public.leads to anon;

create policy "Forms can submit a new lead"
  on public.leads for insert to anon
  with check (status = 'new' and notifications_planned_at is null);
