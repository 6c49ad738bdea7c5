-- Staff paging has limits (issue 28, finding 3): 25 high-priority forms in a second texted the
-- on-call phone 25 times at 4 am. Texts to the on-call phone are capped per hour, and the rest
-- are gathered into one digest text; escalations are capped per sweep and per hour; a staff
-- member's quiet hours hold their texts while the shop is closed.

alter table public.business_settings
  add column on_call_sms_hourly_cap integer not null default 6 check (on_call_sms_hourly_cap > 0),
  add column escalations_per_sweep integer not null default 20 check (escalations_per_sweep > 0),
  add column escalations_per_hour integer not null default 60 check (escalations_per_hour > 0);
comment on column public.business_settings.on_call_sms_hourly_cap is
  'Most texts the on-call phone is sent in an hour (high-priority leads, escalations, digests). Over it, a lead''s text is suppressed (on_call_hourly_cap) and counted in one digest text sent when the hour has room; its emails still go.';
comment on column public.business_settings.escalations_per_sweep is
  'Most leads one sweep escalates (newest first); the rest wait for the next sweep.';
comment on column public.business_settings.escalations_per_hour is
  'Most leads escalated in an hour; the rest wait until the hour has room.';

alter table public.staff_members
  add column quiet_hours_start time,
  add column quiet_hours_end time,
  add constraint staff_members_quiet_hours_check check (
    (quiet_hours_start is null) = (quiet_hours_end is null)
    and (quiet_hours_start is null or quiet_hours_start <> quiet_hours_end));
comment on column public.staff_members.quiet_hours_start is
  'From this time (in their time_zone) they are not texted while the shop is closed: the text waits until quiet_hours_end or the opening, whichever is first. Null with quiet_hours_end: texts any time.';
comment on column public.staff_members.quiet_hours_end is
  'When their quiet hours end (in their time_zone); may be past midnight, e.g. 21:00 to 07:00.';

-- The hourly count reads this phone's paging texts of the last hour.
create index notifications_outbox_paging_idx on public.notifications_outbox (recipient, created_at)
  where template in ('staff_on_call_sms', 'staff_escalation_sms', 'staff_on_call_digest_sms');

insert into public.message_kinds (kind, channel, audience, description) values
  ('staff_on_call_digest_sms', 'sms', 'staff',
   'One text to the on-call phone for the high-priority leads and escalations held back by the hourly cap: how many, and their Refs.');
