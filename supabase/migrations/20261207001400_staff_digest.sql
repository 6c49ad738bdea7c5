-- A staff digest for bursts (issue 24, part 4): in a marketing mail-out or a hail storm each staff
-- member got one email per lead. Now a recipient of new-lead alerts gets at most
-- staff_alerts_per_window of them in any staff_alert_window_minutes; notify-lead suppresses the
-- ones past that (in_staff_digest) and gathers them into one staff_digest_email, deferred until
-- the window has passed (staff_digest_window), so at most one digest a window. High-priority
-- on-call texts and escalations are never held back.

alter table public.business_settings
  add column staff_alerts_per_window integer not null default 5
    check (staff_alerts_per_window > 0),
  add column staff_alert_window_minutes integer not null default 10
    check (staff_alert_window_minutes between 1 and 1440);
comment on column public.business_settings.staff_alerts_per_window is
  'Most new-lead alert emails one staff member (or the admin inbox) gets in staff_alert_window_minutes. Past it, a lead''s alert is suppressed (in_staff_digest) and the lead is named in one staff_digest_email sent when the window has passed; on-call texts and escalations still go at once.';
comment on column public.business_settings.staff_alert_window_minutes is
  'The staff digest''s window, in minutes: new-lead alerts are counted over it, and a digest waits it before it goes, so a staff member gets at most one digest per window.';

-- What each recipient's count reads: their new-lead alerts of the last window.
create index notifications_outbox_staff_alerts_idx on public.notifications_outbox (recipient, created_at)
  where template in ('staff_new_lead_email', 'staff_digest_email');

insert into public.message_kinds (kind, channel, audience, description) values
  ('staff_digest_email', 'email', 'staff',
   'One email to a staff member for the new-lead alerts held back in a burst (past staff_alerts_per_window in staff_alert_window_minutes): each lead with its priority, call button and links.');

comment on column public.notifications_outbox.status_reason is
  'Why it was suppressed or deferred (no_sms_consent, opted_out, invalid_phone, daily_cap, quiet_hours, on_call_hourly_cap, staff_quiet_hours, first_text_hold (until release_held_texts()), in_staff_digest (a new-lead alert gathered into the staff_digest_email whose key is in payload.staff_digest), staff_digest_window (a digest waiting for its window to pass), permanent error code…).';
