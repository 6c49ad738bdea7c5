-- Forms: submit a lead, get the reference back, and make hostile input cost us nothing.
--
-- Anyone on the internet can call what a web form calls (the anon key is public), so:
--
--   form ──supabase.rpc('submit_lead', {...})──▶ submit_lead()  honeypot empty? rendered 3 s
--                                                 │               to 24 h ago? else refused,
--                                                 │               logged in form_refusals
--                                                 ▼
--                               insert into leads ──▶ leads_reject_malformed()  cleans every
--                                                 │     field, refuses what is too long, a
--                                                 │     state that is no state, a date in the
--                                                 │     past, the shop's own number; sets the
--                                                 │     consent record itself
--                                                 ▼
--                               { reference_number, will_text }   (and nothing else)
--
-- Old forms may still `insert` into leads directly: the same trigger holds them to the same
-- field rules. Every refusal names its field (DETAIL, and COLUMN for SQL clients) with a
-- message a form shows next to it and an example in the HINT.

-- The shop's texting number (TWILIO_PHONE_NUMBER) is, like its phone, never a customer's.
alter table public.business_settings
  add column texting_phone_e164 text check (texting_phone_e164 ~ '^\+[1-9][0-9]{7,14}$');
comment on column public.business_settings.texting_phone_e164 is
  'The number texts come from (TWILIO_PHONE_NUMBER). Refused as a customer phone, as phone_e164 is.';

-- The consent wording a form shows next to its box, by version. The lead names the version;
-- the database copies its words into the lead, so the audit shows what the customer saw.
create table public.sms_consent_wordings (
  version text primary key check (version ~ '^[a-z0-9][a-z0-9._-]{0,39}$'),
  wording text not null check (length(wording) between 20 and 1000),
  introduced_at timestamptz not null default now(),
  retired_at timestamptz
);
comment on table public.sms_consent_wordings is
  'Every SMS consent wording a form has shown, by version. Forms name the version; the newest unretired one is used when they name none. Never edit a wording in use: add a version.';
comment on column public.sms_consent_wordings.retired_at is
  'No longer shown by any form; leads naming it are still accepted (a page open since).';

insert into public.sms_consent_wordings (version, wording) values ('v1',
  'I agree to receive text messages about my request and appointments at this number. '
  || 'Message frequency varies. Msg & data rates may apply. Reply STOP to opt out, HELP for help.');

alter table public.sms_consent_wordings enable row level security;
revoke all on public.sms_consent_wordings from anon, authenticated;
grant all on public.sms_consent_wordings to service_role;

alter table public.leads
  add column sms_consent_version text references public.sms_consent_wordings (version);
comment on column public.leads.sms_consent_version is
  'The consent wording the form showed (sms_consent_wordings.version); sms_consent_text is copied from it.';
comment on column public.leads.sms_consent_source is
  'How consent was given: web_form_checkbox for every form (set by the database); the service role may name another.';
comment on column public.leads.sms_consent_text is
  'The consent wording the customer saw, copied by the database from sms_consent_wordings.';

grant insert (sms_consent_version) on public.leads to anon;

-- Customer-typed text without what no customer means to type: control characters, and the
-- invisible ones (zero-width, soft hyphen, byte-order mark, bidirectional overrides) that
-- turn a cheap GSM-7 text into UCS-2 or make a name read differently from what it is.
-- One-line fields also have their whitespace collapsed; notes keep their line breaks.
create or replace function public.clean_form_text(value text, multiline boolean default false)
  returns text
  language sql
  immutable
  parallel safe
  set search_path = ''
as $$
  select nullif(btrim(
    case when multiline then
      regexp_replace(
        regexp_replace(replace(value, E'\r\n', E'\n'),
          '[\u0001-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]',
          '', 'g'),
        E'\n{3,}', E'\n\n', 'g')
    else
      regexp_replace(
        regexp_replace(value,
          '[\u0001-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]',
          '', 'g'),
        '[[:space:]]+', ' ', 'g')
    end, E' \t\n'), '')
$$;
comment on function public.clean_form_text(text, boolean) is
  'Form text cleaned: control and invisible characters removed, whitespace tidied; null when nothing is left.';

-- Raises the error a form shows for one bad field: the field in DETAIL (what PostgREST hands
-- supabase-js as error.details) and COLUMN (what SQL clients read).
create or replace function public.reject_lead_field(field text, problem text, example text)
  returns void
  language plpgsql
  volatile
  set search_path = ''
as $$
begin
  raise exception '%', problem
    using errcode = 'check_violation', column = field, table = 'leads', schema = 'public',
          detail = field, hint = 'Example of a valid ' || field || ': ' || example;
end
$$;

-- Security definer: a form (anon) may read neither the shop's numbers nor the wordings the
-- rules compare with. Who is writing is read from the `role` setting PostgREST sets (SET ROLE
-- anon), which a definer function leaves as it was.
create or replace function public.leads_reject_malformed()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
declare
  was jsonb := case when tg_op = 'UPDATE' then to_jsonb(old) end;
  is_now jsonb;
  settings record;
  shop_today date;
  wording record;
  field record;
begin
  new.first_name := public.clean_form_text(new.first_name);
  new.last_name := public.clean_form_text(new.last_name);
  new.email := lower(public.clean_form_text(new.email));
  new.vehicle_make := public.clean_form_text(new.vehicle_make);
  new.vehicle_model := public.clean_form_text(new.vehicle_model);
  new.address := public.clean_form_text(new.address);
  new.city := public.clean_form_text(new.city);
  new.state := upper(public.clean_form_text(new.state));
  new.zip := public.clean_form_text(new.zip);
  new.notes := public.clean_form_text(new.notes, multiline => true);
  is_now := to_jsonb(new);

  -- Limits hold for what is written now: a lead saved before a limit existed can still have
  -- its status changed.
  for field in
    select * from (values
      ('first_name', 'First name', 100, 'Jane'),
      ('last_name', 'Last name', 100, 'Doe'),
      ('email', 'Email', 254, 'jane@example.com'),
      ('vehicle_make', 'Vehicle make', 50, 'Honda'),
      ('vehicle_model', 'Vehicle model', 50, 'Civic'),
      ('address', 'Address', 200, '1500 Blake St'),
      ('city', 'City', 100, 'Denver'),
      ('notes', 'Notes', 2000, 'Crack on the driver''s side, about 6 inches')
    ) as limits (name, label, max_length, example)
  loop
    if length(is_now ->> field.name) > field.max_length
       and (was is null or (is_now -> field.name) is distinct from (was -> field.name)) then
      perform public.reject_lead_field(field.name,
        format('%s is too long (%s characters at most).', field.label, field.max_length),
        field.example);
    end if;
  end loop;

  if new.first_name is null then
    perform public.reject_lead_field('first_name', 'Please give a first name.', 'Jane');
  end if;
  if new.email is null and new.phone_e164 is null then
    perform public.reject_lead_field('email', 'Please give an email address or a phone number so we can reach you.', 'jane@example.com');
  end if;
  if new.email is not null and new.email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    perform public.reject_lead_field('email', format('Email "%s" is not a valid email address.', left(new.email, 60)), 'jane@example.com');
  end if;
  if new.phone_e164 is not null and (new.phone_e164 !~ '^\+[1-9][0-9]{7,14}$'
     -- A North American number: a real area code and exchange (neither starts with 0 or 1).
     or (new.phone_e164 ~ '^\+1' and new.phone_e164 !~ '^\+1[2-9][0-9]{2}[2-9][0-9]{6}$')) then
    perform public.reject_lead_field('phone_e164', format('Phone "%s" is not a valid phone number in international format.', left(new.phone_e164, 30)), '+17209187465');
  end if;
  if new.service_type is null or new.service_type not in ('repair', 'replacement', 'calibration', 'other') then
    perform public.reject_lead_field('service_type', format('Service "%s" is not one we offer (repair, replacement, calibration, other).', left(coalesce(new.service_type, ''), 40)), 'replacement');
  end if;
  if new.vehicle_year is not null
     and (new.vehicle_year < 1950 or new.vehicle_year > extract(year from now())::int + 2) then
    perform public.reject_lead_field('vehicle_year', format('Vehicle year %s is not a real model year.', new.vehicle_year), '2019');
  end if;
  if new.state is not null and (was is null or (is_now -> 'state') is distinct from (was -> 'state'))
     and new.state not in (
       'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA',
       'KS', 'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ',
       'NM', 'NY', 'NC', 'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT',
       'VA', 'WA', 'WV', 'WI', 'WY', 'DC', 'PR', 'VI', 'GU', 'AS', 'MP') then
    perform public.reject_lead_field('state', format('State "%s" is not a US state or territory code.', left(new.state, 10)), 'CO');
  end if;
  if new.zip is not null and new.zip !~ '^[0-9]{5}(-[0-9]{4})?$' then
    perform public.reject_lead_field('zip', format('ZIP code "%s" is not valid.', left(new.zip, 20)), '80202');
  end if;
  if new.source_form not in ('quick_quote', 'full_booking', 'api') then
    perform public.reject_lead_field('source_form', format('Unknown form "%s".', left(new.source_form, 40)), 'quick_quote');
  end if;
  if new.status not in ('new', 'contacted', 'scheduled', 'completed', 'lost') then
    perform public.reject_lead_field('status', format('Unknown lead status "%s".', left(new.status, 40)), 'contacted');
  end if;
  if new.sms_consent and new.phone_e164 is null then
    perform public.reject_lead_field('sms_consent', 'SMS consent needs a phone number to text.', 'true with phone_e164 +17209187465');
  end if;

  select phone_e164, texting_phone_e164, time_zone into settings from public.business_settings;
  if new.phone_e164 is not null and (was is null or (is_now -> 'phone_e164') is distinct from (was -> 'phone_e164'))
     and new.phone_e164 in (settings.phone_e164, settings.texting_phone_e164) then
    perform public.reject_lead_field('phone_e164', 'That is our own number: please give the number we can reach you on.', '+17209187465');
  end if;

  -- The customer's day is the shop's day: a date is "past" once the shop's calendar has
  -- turned the page.
  shop_today := (now() at time zone coalesce(settings.time_zone, 'UTC'))::date;
  if new.preferred_date is not null
     and (was is null or (is_now -> 'preferred_date') is distinct from (was -> 'preferred_date')) then
    if new.preferred_date < shop_today then
      perform public.reject_lead_field('preferred_date', format('Preferred date %s is in the past.', new.preferred_date), (shop_today + 1)::text);
    elsif new.preferred_date > (shop_today + interval '1 year')::date then
      perform public.reject_lead_field('preferred_date', format('Preferred date %s is more than a year ahead.', new.preferred_date), (shop_today + 1)::text);
    end if;
  end if;

  -- The consent record is the database's word, not the form's: when (now), how (the form's
  -- box, unless the service role says otherwise) and what was shown (the wording version).
  if tg_op = 'INSERT' then
    if new.sms_consent then
      select w.version, w.wording into wording
      from public.sms_consent_wordings w
      where w.version = new.sms_consent_version
         or (new.sms_consent_version is null and w.retired_at is null)
      order by w.introduced_at desc limit 1;
      if wording.version is null then
        perform public.reject_lead_field('sms_consent_version',
          format('Consent wording "%s" is not one we have shown.', left(coalesce(new.sms_consent_version, ''), 40)), 'v1');
      end if;
      new.sms_consent_version := wording.version;
      new.sms_consent_text := wording.wording;
      new.sms_consent_at := now();
      new.sms_consent_source := case
        when current_setting('role', true) in ('anon', 'authenticated')
          or new.sms_consent_source is null
          then 'web_form_checkbox'
        else left(new.sms_consent_source, 40)
      end;
    else
      new.sms_consent_version := null;
      new.sms_consent_text := null;
      new.sms_consent_at := null;
      new.sms_consent_source := null;
    end if;
  end if;
  return new;
end
$$;
comment on function public.leads_reject_malformed() is
  'Trigger: cleans a lead''s text, rejects malformed or oversized fields with a message a form can show, and sets the consent record.';
revoke all on function public.leads_reject_malformed() from public, anon, authenticated;

-- Submissions the anti-spam checks refused: what an admin reads to see whether a real
-- customer was turned away. Nothing the visitor typed is kept.
create table public.form_refusals (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  reason text not null check (reason in ('honeypot', 'too_fast', 'stale', 'no_render_time')),
  source_form text,
  seconds_on_form numeric,
  client_ip text
);
comment on table public.form_refusals is
  'Form submissions refused by submit_lead''s anti-spam checks: a filled honeypot, a form sent faster than a person can (under 3 s) or rendered over a day ago. Nothing the visitor typed is kept.';
create index form_refusals_created_at_idx on public.form_refusals (created_at desc);
alter table public.form_refusals enable row level security;
revoke all on public.form_refusals from anon, authenticated;
grant all on public.form_refusals to service_role;

create or replace function public.submit_lead(
  first_name text,
  service_type text,
  form_rendered_at timestamptz default null,
  honeypot text default null,
  last_name text default null,
  email text default null,
  phone text default null,
  vehicle_year integer default null,
  vehicle_make text default null,
  vehicle_model text default null,
  mobile_service boolean default false,
  preferred_date date default null,
  address text default null,
  city text default null,
  state text default null,
  zip text default null,
  notes text default null,
  sms_consent boolean default false,
  sms_consent_version text default null,
  source_form text default 'quick_quote'
)
  returns jsonb
  language plpgsql
  volatile
  security definer
  set search_path = ''
as $$
declare
  seconds numeric := extract(epoch from now() - form_rendered_at);
  refusal text;
  digits text := regexp_replace(coalesce(phone, ''), '[^0-9+]', '', 'g');
  saved record;
  shop record;
begin
  refusal := case
    when coalesce(honeypot, '') <> '' then 'honeypot'
    when form_rendered_at is null then 'no_render_time'
    when seconds < 3 then 'too_fast'
    when seconds > 86400 then 'stale'
  end;
  select phone_display into shop from public.business_settings;
  if refusal is not null then
    insert into public.form_refusals (reason, source_form, seconds_on_form, client_ip)
    values (refusal, left(submit_lead.source_form, 40), round(seconds, 1),
      left(split_part(current_setting('request.headers', true)::jsonb ->> 'x-forwarded-for', ',', 1), 64));
    raise log 'submit_lead: refused a % submission (%)', left(submit_lead.source_form, 40), refusal;
    -- Answered as an error, yet committed so the refusal stays logged: PostgREST sends this
    -- status with the body below, which supabase-js reads as `error`.
    perform set_config('response.status', '400', true);
    return jsonb_build_object(
      'code', 'P0001',
      'message', 'Sorry, we could not take this request online. Please call us'
        || coalesce(' at ' || shop.phone_display, '') || '.',
      'details', 'form',
      'hint', null);
  end if;

  -- (720) 918-7465, 720-918-7465, 1 720 918 7465: a US number as people type it.
  digits := case
    when digits ~ '^[0-9]{10}$' then '+1' || digits
    when digits ~ '^1[0-9]{10}$' then '+' || digits
    else nullif(digits, '')
  end;

  insert into public.leads (
    first_name, last_name, email, phone_e164, vehicle_year, vehicle_make, vehicle_model,
    service_type, mobile_service, preferred_date, address, city, state, zip, notes,
    sms_consent, sms_consent_version, sms_consent_source, source_form)
  values (
    submit_lead.first_name, submit_lead.last_name, submit_lead.email, digits,
    submit_lead.vehicle_year, submit_lead.vehicle_make, submit_lead.vehicle_model,
    submit_lead.service_type, coalesce(submit_lead.mobile_service, false),
    submit_lead.preferred_date, submit_lead.address, submit_lead.city, submit_lead.state,
    submit_lead.zip, submit_lead.notes, coalesce(submit_lead.sms_consent, false),
    submit_lead.sms_consent_version, 'web_form_checkbox',
    coalesce(submit_lead.source_form, 'quick_quote'))
  returning id, reference_number, phone_e164, leads.email, leads.sms_consent, created_at
  into saved;

  return jsonb_build_object(
    'reference_number', saved.reference_number,
    -- As notify-lead will decide: this lead's box ticked, a number that takes texts, and not a
    -- repeat of a lead just confirmed.
    'will_text', saved.sms_consent
      and not exists (select from public.sms_unreachable_phones u
                      where u.phone_e164 = saved.phone_e164)
      and not exists (
        select from public.leads e, public.business_settings b
        where b.duplicate_window_minutes > 0 and e.id <> saved.id
          and (e.phone_e164 = saved.phone_e164 or e.email = saved.email)
          and e.created_at >= saved.created_at - make_interval(mins => b.duplicate_window_minutes)
          and e.created_at <= saved.created_at));
end
$$;
comment on function public.submit_lead(text, text, timestamptz, text, text, text, text, integer, text, text, boolean, date, text, text, text, text, text, boolean, text, text) is
  'What a web form calls (supabase.rpc(''submit_lead'', {...}) with the anon key): checks the honeypot and the time since the form was rendered, saves the lead under the table''s rules and returns only {reference_number, will_text}.';
revoke all on function public.submit_lead(text, text, timestamptz, text, text, text, text, integer, text, text, boolean, date, text, text, text, text, text, boolean, text, text) from public;
grant execute on function public.submit_lead(text, text, timestamptz, text, text, text, text, integer, text, text, boolean, date, text, text, text, text, text, boolean, text, text)
  to anon, authenticated, service_role;
revoke all on function public.clean_form_text(text, boolean) from public;
grant execute on function public.clean_form_text(text, boolean) to anon, authenticated, service_role;
