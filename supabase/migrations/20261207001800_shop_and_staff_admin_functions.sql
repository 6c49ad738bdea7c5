-- A complete first deploy (issue 21, part 4): `supabase db push` does not load seed.sql, so a
-- hosted project starts with no shop settings and no roster, and nothing can be sent until an
-- admin writes them. These are the dashboard's one-liners for that (SQL editor, role postgres),
-- each refusing bad input with what to fix instead of a constraint name:
--
--   select set_up_shop(business_name => 'Pink Auto Glass', phone => '(720) 918-7465', …);
--   select add_staff_member('Jordan Lee', 'dispatcher', phone => '(720) 555-0199', …);
--   select change_staff_member('Jordan', on_call => true, shift => 'mon-fri 8 am-6 pm');
--   select retire_staff_member('Jordan Lee');
--
-- Admin-only: neither the API roles nor the service role (the functions) run them.

-- "mon-fri 8 am-6 pm, sat 9 am-2 pm" → working_hours' shape ({"mon": {"open": "08:00",
-- "close": "18:00"}, …}); "any time" → null (the column's "any time"). The times are read by
-- parse_time_window, so a shift is written like an appointment's window.
create function public.parse_shift(shift text)
  returns jsonb
  language plpgsql
  immutable
  set search_path = ''
as $$
declare
  days constant text[] := array['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  part text;
  m text[];
  first_day integer;
  last_day integer;
  win record;
  hours jsonb := '{}'::jsonb;
begin
  if lower(trim(coalesce(shift, ''))) in ('any time', 'anytime', 'always') then
    return null;
  end if;
  if trim(coalesce(shift, '')) = '' then
    raise exception 'The shift is empty: write days and hours like "mon-fri 8 am-6 pm" (or "any time")';
  end if;
  foreach part in array string_to_array(lower(shift), ',') loop
    m := regexp_match(part, '^\s*([a-z]{3})[a-z]*(?:\s*(?:-|–|to)\s*([a-z]{3})[a-z]*)?\s+(.+?)\s*$');
    first_day := array_position(days, m[1]);
    last_day := coalesce(array_position(days, coalesce(m[2], m[1])), 0);
    if m is null or first_day is null or last_day = 0 then
      raise exception 'Cannot read the shift "%": write days and hours like "mon-fri 8 am-6 pm, sat 9 am-2 pm" (or "any time")', shift;
    end if;
    if last_day < first_day then
      raise exception 'The shift "%" runs its days backwards (% to %): write them mon to sun', shift, m[1], m[2];
    end if;
    win := public.parse_time_window(m[3]);
    for d in first_day .. last_day loop
      if hours ? days[d] then
        raise exception 'The shift "%" names % twice', shift, days[d];
      end if;
      hours := hours || jsonb_build_object(days[d], jsonb_build_object(
        'open', to_char(win.starts, 'HH24:MI'), 'close', to_char(win.ends, 'HH24:MI')));
    end loop;
  end loop;
  return hours;
end
$$;
comment on function public.parse_shift(text) is
  'Reads a shift such as "mon-fri 8 am-6 pm, sat 9 am-2 pm" into staff_members.working_hours (null for "any time"); raises a readable error otherwise.';

-- A phone as an admin types it, in E.164, or a readable refusal naming the field.
create function public.admin_phone(phone text, field text)
  returns text
  language plpgsql
  immutable
  set search_path = ''
as $$
declare
  e164 text := public.normalize_phone(phone);
begin
  if e164 is null or e164 !~ '^\+[1-9][0-9]{7,14}$' then
    raise exception 'The % "%" is not a phone number: write it like (720) 918-7465 or +17209187465',
      field, phone;
  end if;
  return e164;
end
$$;
comment on function public.admin_phone(text, text) is
  'A phone as an admin types it ((720) 918-7465), in E.164; raises an error naming the field otherwise.';

create function public.set_up_shop(
  business_name text default null,
  phone text default null,
  postal_address text default null,
  website_url text default null,
  reply_to_email text default null,
  sms_hours text default null,
  time_zone text default null,
  texting_phone text default null
) returns text
  language plpgsql
  volatile
  set search_path = ''
as $$
declare
  shop public.business_settings;
  missing text[];
  e164 text;
  texting text;
  win record;
  start_hour smallint;
  end_hour smallint;
  existed boolean;
begin
  select * into shop from public.business_settings for update;
  existed := found;
  if not existed then
    -- The first setup: everything a message prints about the shop is needed at once.
    missing := array_remove(array[
      case when nullif(trim(business_name), '') is null then 'business_name' end,
      case when nullif(trim(phone), '') is null then 'phone' end,
      case when nullif(trim(postal_address), '') is null then 'postal_address' end,
      case when nullif(trim(website_url), '') is null then 'website_url' end,
      case when nullif(trim(reply_to_email), '') is null then 'reply_to_email' end], null);
    if cardinality(missing) > 0 then
      raise exception 'The shop is not set up yet, so % must be given (missing: %)',
        'business_name, phone, postal_address, website_url and reply_to_email',
        array_to_string(missing, ', ')
        using hint = 'sms_hours (default 8 am-8 pm), time_zone (default America/Denver) and texting_phone are optional.';
    end if;
  end if;
  if business_name is not null and trim(business_name) = '' then
    raise exception 'The shop''s business_name is empty: every email and text is signed with it';
  end if;
  if postal_address is not null and trim(postal_address) !~ '[0-9]' then
    raise exception 'The postal_address "%" has no street number or ZIP: every email prints it (CAN-SPAM needs a real postal address)',
      postal_address;
  end if;
  if website_url is not null and trim(website_url) !~ '^https?://[^[:space:]/]+\.[^[:space:]]+$' then
    raise exception 'The website_url "%" is not a web address: write it like https://pinkautoglass.com',
      website_url;
  end if;
  if reply_to_email is not null
     and trim(reply_to_email) !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception 'The reply_to_email "%" is not an email address', reply_to_email;
  end if;
  if time_zone is not null and not exists (select from pg_catalog.pg_timezone_names z
                                           where z.name = trim(time_zone)) then
    raise exception 'Unknown time_zone "%": use an IANA name like America/Denver or America/New_York',
      time_zone;
  end if;
  if phone is not null then
    e164 := public.admin_phone(phone, 'phone');
  end if;
  if texting_phone is not null then
    texting := public.admin_phone(texting_phone, 'texting_phone');
  end if;
  if sms_hours is not null then
    win := public.parse_time_window(sms_hours);
    if win.starts <> date_trunc('hour', win.starts) or win.ends <> date_trunc('hour', win.ends) then
      raise exception 'The sms_hours "%" must start and end on the hour (texts go from one hour to another)',
        sms_hours;
    end if;
    start_hour := extract(hour from win.starts)::smallint;
    end_hour := extract(hour from win.ends)::smallint;
  end if;

  insert into public.business_settings as b (
    business_name, phone_display, phone_e164, postal_address, website_url, reply_to_email,
    time_zone, sms_window_start_hour, sms_window_end_hour, texting_phone_e164)
  values (
    coalesce(trim(business_name), shop.business_name),
    -- A US number reads as people write it; another keeps how the admin wrote it.
    case when e164 is null then shop.phone_display
         when e164 ~ '^\+1[0-9]{10}$' then format('(%s) %s-%s', substr(e164, 3, 3), substr(e164, 6, 3), substr(e164, 9, 4))
         else trim(phone) end,
    coalesce(e164, shop.phone_e164),
    coalesce(trim(postal_address), shop.postal_address),
    coalesce(trim(website_url), shop.website_url),
    coalesce(trim(reply_to_email), shop.reply_to_email),
    coalesce(trim(time_zone), shop.time_zone, 'America/Denver'),
    coalesce(start_hour, shop.sms_window_start_hour, 8),
    coalesce(end_hour, shop.sms_window_end_hour, 20),
    coalesce(texting, shop.texting_phone_e164))
  on conflict (id) do update set
    business_name = excluded.business_name, phone_display = excluded.phone_display,
    phone_e164 = excluded.phone_e164, postal_address = excluded.postal_address,
    website_url = excluded.website_url, reply_to_email = excluded.reply_to_email,
    time_zone = excluded.time_zone, sms_window_start_hour = excluded.sms_window_start_hour,
    sms_window_end_hour = excluded.sms_window_end_hour,
    texting_phone_e164 = excluded.texting_phone_e164
  returning * into shop;

  return format('%s %s: %s, %s, %s, replies to %s; texts customers %s:00 to %s:00 their time, the shop keeps %s time%s.',
    case when existed then 'Updated' else 'Set up' end, shop.business_name, shop.phone_display,
    shop.postal_address, shop.website_url, shop.reply_to_email,
    lpad(shop.sms_window_start_hour::text, 2, '0'), lpad(shop.sms_window_end_hour::text, 2, '0'),
    shop.time_zone,
    case when shop.texting_phone_e164 is null then ''
         else format(', texts come from %s', shop.texting_phone_e164) end);
end
$$;
comment on function public.set_up_shop(text, text, text, text, text, text, text, text) is
  'The dashboard''s one-liner for the shop (business_settings): select set_up_shop(business_name => ''Pink Auto Glass'', phone => ''(720) 918-7465'', postal_address => ''1200 Larimer St, Denver, CO 80204'', website_url => ''https://pinkautoglass.com'', reply_to_email => ''service@pinkautoglass.com'', sms_hours => ''8 am-8 pm'', time_zone => ''America/Denver'', texting_phone => ''+17205550100''). The first call needs the first five; later calls change only what they name. Bad input is refused with what to fix.';

-- The staff member an admin means: their full name, or a first name only one active member has.
create function public.staff_member_named(name text, include_retired boolean default false)
  returns public.staff_members
  language plpgsql
  stable
  set search_path = ''
as $$
declare
  found_member public.staff_members;
  matches integer;
begin
  select count(*)::integer into matches from public.staff_members s
  where (s.active or include_retired) and lower(s.full_name) = lower(trim(name));
  if matches = 0 then
    select count(*)::integer into matches from public.staff_members s
    where (s.active or include_retired)
      and lower(split_part(s.full_name, ' ', 1)) = lower(trim(name));
    if matches = 1 then
      select * into found_member from public.staff_members s
      where (s.active or include_retired)
        and lower(split_part(s.full_name, ' ', 1)) = lower(trim(name));
      return found_member;
    end if;
  elsif matches = 1 then
    select * into found_member from public.staff_members s
    where (s.active or include_retired) and lower(s.full_name) = lower(trim(name));
    return found_member;
  end if;
  if matches > 1 then
    raise exception '% staff members are named "%": give the full name', matches, name;
  end if;
  raise exception 'No active staff member is named "%": choose one of %', name,
    coalesce((select string_agg(s.full_name, ', ' order by s.full_name)
              from public.staff_members s where s.active), 'nobody (the roster is empty)');
end
$$;
comment on function public.staff_member_named(text, boolean) is
  'The staff member a name means: the full name (any case), or a first name only one of them has; raises a readable error when none or several match.';

-- What the roster looks like after a change, so the admin sees who takes leads and who is paged.
create function public.roster_summary()
  returns text
  language sql
  stable
  set search_path = ''
as $$
  select format('Takes leads: %s. On call: %s.',
    coalesce((select string_agg(s.full_name, ', ' order by s.full_name) from public.staff_members s
              where s.active and s.receives_lead_alerts), 'nobody (alerts go to ADMIN_EMAIL alone)'),
    coalesce((select string_agg(s.full_name, ', ' order by s.full_name) from public.staff_members s
              where s.active and s.on_call), 'nobody (only STAFF_ON_CALL_PHONE is texted)'))
$$;
comment on function public.roster_summary() is
  'One line naming who takes new leads and who is on call: what the staff one-liners answer with.';

create function public.change_staff_member(
  name text,
  role text default null,
  email text default null,
  phone text default null,
  takes_leads boolean default null,
  on_call boolean default null,
  shift text default null,
  time_zone text default null,
  full_name text default null
) returns text
  language plpgsql
  volatile
  set search_path = ''
as $$
declare
  member public.staff_members := public.staff_member_named(name);
  hours jsonb;
begin
  if role is not null and lower(trim(role)) not in ('owner', 'dispatcher', 'technician') then
    raise exception 'Unknown role "%": choose owner, dispatcher or technician', role;
  end if;
  if email is not null and trim(email) <> ''
     and trim(email) !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
    raise exception 'The email "%" is not an email address', email;
  end if;
  if time_zone is not null and not exists (select from pg_catalog.pg_timezone_names z
                                           where z.name = trim(time_zone)) then
    raise exception 'Unknown time_zone "%": use an IANA name like America/Denver', time_zone;
  end if;
  if full_name is not null and trim(full_name) = '' then
    raise exception 'The new full_name is empty';
  end if;
  if shift is not null then
    hours := public.parse_shift(shift);
  end if;
  if coalesce(takes_leads, member.receives_lead_alerts) and
     coalesce(nullif(trim(email), ''), case when email is null then member.email end) is null then
    raise exception '% cannot take leads without an email: the new-lead alert is an email', member.full_name
      using hint = 'Give email => ''jordan@example.com'' in the same call.';
  end if;
  if coalesce(on_call, member.on_call) and
     coalesce(nullif(trim(phone), ''), case when phone is null then member.phone_e164 end) is null then
    raise exception '% cannot be on call without a phone: on-call staff are texted', member.full_name
      using hint = 'Give phone => ''(720) 555-0199'' in the same call.';
  end if;
  update public.staff_members s set
    full_name = coalesce(trim(change_staff_member.full_name), s.full_name),
    role = coalesce(lower(trim(change_staff_member.role)), s.role),
    email = case when change_staff_member.email is null then s.email
                 else nullif(trim(change_staff_member.email), '') end,
    phone_e164 = case when phone is null then s.phone_e164
                      when trim(phone) = '' then null
                      else public.admin_phone(phone, 'phone') end,
    receives_lead_alerts = coalesce(takes_leads, s.receives_lead_alerts),
    on_call = coalesce(change_staff_member.on_call, s.on_call),
    working_hours = case when shift is null then s.working_hours else hours end,
    time_zone = coalesce(trim(change_staff_member.time_zone), s.time_zone)
  where s.id = member.id
  returning * into member;
  return format('Changed %s (%s%s%s). %s', member.full_name, member.role,
    case when member.working_hours is null then ', any time'
         else ', on shift ' || (select string_agg(format('%s %s-%s', d.key, d.value ->> 'open', d.value ->> 'close'),
                                                  ', ' order by array_position(array['mon','tue','wed','thu','fri','sat','sun'], d.key))
                                 from jsonb_each(member.working_hours) d) || ' ' || member.time_zone end,
    case when member.phone_e164 is null then ', no phone' else '' end,
    public.roster_summary());
end
$$;
comment on function public.change_staff_member(text, text, text, text, boolean, boolean, text, text, text) is
  'The dashboard''s one-liner to change a staff member, found by name: select change_staff_member(''Jordan'', takes_leads => true, on_call => true, shift => ''mon-fri 8 am-6 pm, sat 9 am-2 pm''). Only the arguments given change (phone => '''' or email => '''' clears one; shift => ''any time'' takes leads at any hour). Answers with the roster: who takes leads, who is on call.';

create function public.add_staff_member(
  full_name text,
  role text,
  email text default null,
  phone text default null,
  takes_leads boolean default false,
  on_call boolean default false,
  shift text default null,
  time_zone text default null
) returns text
  language plpgsql
  volatile
  set search_path = ''
as $$
declare
  shop_zone text := (select b.time_zone from public.business_settings b);
begin
  if nullif(trim(full_name), '') is null then
    raise exception 'The staff member''s full_name is empty';
  end if;
  if exists (select from public.staff_members s where s.active
             and lower(s.full_name) = lower(trim(add_staff_member.full_name))) then
    raise exception 'A staff member named "%" is already on the roster: change them with change_staff_member(''%'', …)',
      trim(full_name), trim(full_name);
  end if;
  if role is null or lower(trim(role)) not in ('owner', 'dispatcher', 'technician') then
    raise exception 'Unknown role "%": choose owner, dispatcher or technician', role;
  end if;
  -- The new member starts with nothing on, then takes on what was asked through the one
  -- function that checks every field.
  insert into public.staff_members (full_name, role, time_zone)
  values (trim(full_name), lower(trim(role)), coalesce(shop_zone, 'America/Denver'));
  return replace(public.change_staff_member(trim(full_name), email => email, phone => phone,
      takes_leads => takes_leads, on_call => on_call, shift => shift, time_zone => time_zone),
    'Changed ', 'Added ');
end
$$;
comment on function public.add_staff_member(text, text, text, text, boolean, boolean, text, text) is
  'The dashboard''s one-liner to add a staff member: select add_staff_member(''Jordan Lee'', ''dispatcher'', email => ''jordan@pinkautoglass.com'', phone => ''(720) 555-0199'', takes_leads => true, shift => ''mon-fri 8 am-6 pm''). role is owner, dispatcher or technician; takes_leads needs an email, on_call a phone; time_zone defaults to the shop''s. Answers with the roster.';

create function public.retire_staff_member(name text)
  returns text
  language plpgsql
  volatile
  set search_path = ''
as $$
declare
  member public.staff_members := public.staff_member_named(name);
begin
  -- Kept, not deleted: leads, activities and appointments still name them.
  update public.staff_members s
  set active = false, receives_lead_alerts = false, on_call = false
  where s.id = member.id;
  return format('Retired %s: no more leads, alerts or appointments for them (their past leads keep their name). %s',
    member.full_name, public.roster_summary());
end
$$;
comment on function public.retire_staff_member(text) is
  'The dashboard''s one-liner when someone leaves: select retire_staff_member(''Jordan Lee''). They stay on the roster, inactive (past leads and appointments name them), and get no more leads, alerts or on-call texts. Answers with the roster.';

revoke all on function public.parse_shift(text), public.admin_phone(text, text),
  public.set_up_shop(text, text, text, text, text, text, text, text),
  public.staff_member_named(text, boolean), public.roster_summary(),
  public.change_staff_member(text, text, text, text, boolean, boolean, text, text, text),
  public.add_staff_member(text, text, text, text, boolean, boolean, text, text),
  public.retire_staff_member(text)
  from public, anon, authenticated, service_role;
