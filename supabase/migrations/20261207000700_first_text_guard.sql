-- The first-text guard (issue 27): confirmation texts to numbers never texted before are
-- counted per hour (notify-lead marks them payload.first_text); past the limit the next ones
-- are held, deferred with status_reason first_text_hold and no time of their own, until an
-- admin has looked at the leads and releases them. Leads are saved and emailed, staff alerts
-- go as ever, and the sweep alerts the admin (held_first_texts).

alter table public.business_settings
  add column first_texts_per_hour integer not null default 30 check (first_texts_per_hour > 0);
comment on column public.business_settings.first_texts_per_hour is
  'Most confirmation texts an hour to numbers never texted before (set from the shop''s normal volume). Past it, further ones are held (deferred, first_text_hold) until select release_held_texts(); their leads are still saved and emailed.';

-- What the hourly count reads.
create index notifications_outbox_first_text_idx on public.notifications_outbox (created_at)
  where payload ? 'first_text';

create function public.release_held_texts()
  returns integer
  language plpgsql
  volatile
  security definer
  set search_path = ''
as $$
declare
  released integer;
begin
  -- Due now, measured from now: a text held for hours is not a stale message once released.
  update public.notifications_outbox
  set status_reason = 'first_text_released', next_attempt_at = now(), updated_at = now()
  where status = 'deferred' and status_reason = 'first_text_hold';
  get diagnostics released = row_count;
  if released > 0 then
    perform public.request_outbox_sweep();
  end if;
  return released;
end
$$;
comment on function public.release_held_texts() is
  'Sends the confirmation texts the first-text guard held (business_settings.first_texts_per_hour), once each, after an admin has looked at their leads: select release_held_texts(); returns how many. Each is still checked against consent, the daily cap and quiet hours when it goes.';
revoke all on function public.release_held_texts() from public, anon, authenticated;
grant execute on function public.release_held_texts() to service_role;

comment on column public.notifications_outbox.status_reason is
  'Why it was suppressed or deferred (no_sms_consent, opted_out, invalid_phone, daily_cap, quiet_hours, on_call_hourly_cap, staff_quiet_hours, first_text_hold (until release_held_texts()), permanent error code…).';
