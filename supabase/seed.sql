-- Local seed: the first customer's business settings and a small staff roster, so the
-- system can be tried at once. Loaded by `npm start` on a fresh database only.
insert into public.business_settings (
  business_name, phone_display, phone_e164, postal_address, website_url, reply_to_email,
  time_zone, sms_window_start_hour, sms_window_end_hour, sms_daily_cap
) values (
  'Pink Auto Glass', '(720) 918-7465', '+17209187465',
  '1200 Larimer St, Denver, CO 80204', 'https://pinkautoglass.com', 'service@pinkautoglass.com',
  'America/Denver', 8, 20, 4
) on conflict (id) do nothing;

insert into public.staff_members (full_name, email, phone_e164, role, receives_lead_alerts, on_call)
select * from (values
  ('Dana Pink', 'admin@pinkautoglass.com', '+17205550101', 'owner', true, true),
  ('Marco Ruiz', 'dispatch@pinkautoglass.com', '+17205550102', 'dispatcher', true, false),
  ('Ava Chen', 'ava@pinkautoglass.com', '+17205550103', 'technician', false, false),
  ('Sam Okafor', 'sam@pinkautoglass.com', '+17205550104', 'technician', false, false)
) as roster (full_name, email, phone_e164, role, receives_lead_alerts, on_call)
where not exists (select from public.staff_members);
