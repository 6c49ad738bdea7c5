-- Local seed: the first customer's business settings and a small staff roster, so the
-- system can be tried at once. Loaded by `npm start` on a fresh database only.
insert into public.business_settings (
  business_name, phone_display, phone_e164, postal_address, website_url, reply_to_email,
  time_zone, sms_window_start_hour, sms_window_end_hour, sms_daily_cap, texting_phone_e164
) values (
  'Pink Auto Glass', '(720) 918-7465', '+17209187465',
  '1200 Larimer St, Denver, CO 80204', 'https://pinkautoglass.com', 'service@pinkautoglass.com',
  'America/Denver', 8, 20, 4, '+17205550100'
) on conflict (id) do nothing;

-- The wording Pink Auto Glass's forms show next to the SMS consent box (naming the shop, as
-- the carriers ask); the newest unretired version is the one used when a form names none.
insert into public.sms_consent_wordings (version, wording) values ('pag-2026-12',
  'I agree to receive text messages from Pink Auto Glass about my request and appointments '
  || 'at this number. Message frequency varies. Msg & data rates may apply. '
  || 'Reply STOP to opt out, HELP for help.')
on conflict (version) do nothing;

-- Dana and Marco take new leads in turn while on shift (shop hours, Denver time); Dana is on
-- call for high-priority leads and escalations.
insert into public.staff_members
  (full_name, email, phone_e164, role, receives_lead_alerts, on_call, working_hours)
select full_name, email, phone_e164, role, receives_lead_alerts, on_call, working_hours::jsonb
from (values
  ('Dana Pink', 'admin@pinkautoglass.com', '+17205550101', 'owner', true, true, '{
    "mon": {"open": "08:00", "close": "18:00"}, "tue": {"open": "08:00", "close": "18:00"},
    "wed": {"open": "08:00", "close": "18:00"}, "thu": {"open": "08:00", "close": "18:00"},
    "fri": {"open": "08:00", "close": "18:00"}, "sat": {"open": "09:00", "close": "14:00"}}'),
  ('Marco Ruiz', 'dispatch@pinkautoglass.com', '+17205550102', 'dispatcher', true, false, '{
    "mon": {"open": "08:00", "close": "18:00"}, "tue": {"open": "08:00", "close": "18:00"},
    "wed": {"open": "08:00", "close": "18:00"}, "thu": {"open": "08:00", "close": "18:00"},
    "fri": {"open": "08:00", "close": "18:00"}}'),
  ('Ava Chen', 'ava@pinkautoglass.com', '+17205550103', 'technician', false, false, null),
  ('Sam Okafor', 'sam@pinkautoglass.com', '+17205550104', 'technician', false, false, null)
) as roster (full_name, email, phone_e164, role, receives_lead_alerts, on_call, working_hours)
where not exists (select from public.staff_members);
