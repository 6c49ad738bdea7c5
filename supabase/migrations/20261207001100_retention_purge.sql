-- Retention: a lead and everything it produced go once it has been quiet for the retention
-- period (business_settings.retention_months, 18 by default: what the privacy notice promises).
--
--   pg_cron, daily 03:17 UTC ──▶ purge_expired_personal_data()
--     leads whose last activity (lead_last_activity_at) is older than the period, with their
--       activities, outbox rows and attempts (and Resend's events about them), appointments,
--       inbound texts and media rows; each photo's Storage object is queued in
--       storage_deletions, which notify-lead's sweep drains through the Storage API (a
--       database function must not delete storage.objects rows: the files would stay behind)
--     personal rows about no lead, once older than the period: inbound texts from unknown
--       numbers, outbox rows with no lead (admin alerts, replies to strangers) and their
--       attempts, Resend's events, form_submissions and form_refusals (client addresses),
--       sms_unreachable_phones (a carrier's word that old is stale: numbers are reassigned)
--     kept: the SMS consent ledger (a phone that said STOP stays stopped: its events lose
--       their lead, not their phone), email_suppressions (a bounce or spam complaint must
--       outlive the lead the same way), and rows that name no one (admin_alerts, settings)
--   one row in retention_purges per run (counts and times, no personal data), returned too.

alter table public.business_settings
  add column retention_months integer not null default 18
    constraint retention_months_is_sensible check (retention_months between 1 and 120);
comment on column public.business_settings.retention_months is
  'Months a lead is kept after its last activity (lead_last_activity_at); the daily purge_expired_personal_data() then removes it with everything it produced. The privacy notice promises 18. Between 1 and 120.';

create table public.storage_deletions (
  id bigint generated always as identity primary key,
  bucket text not null,
  object_path text not null,
  queued_at timestamptz not null default now(),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text,
  unique (bucket, object_path)
);
comment on table public.storage_deletions is
  'Storage objects (purged leads'' photos) waiting to be deleted through the Storage API. notify-lead''s sweep deletes them a batch a minute and removes each row once Storage confirmed; a failure waits (attempts, last_error) and is tried again.';
comment on column public.storage_deletions.object_path is 'Path of the file inside the bucket, as media.object_path had it.';
comment on column public.storage_deletions.next_attempt_at is 'Not tried before this time (backs off after a failure).';
comment on column public.storage_deletions.last_error is 'What Storage answered the last time it failed.';
create index storage_deletions_due_idx on public.storage_deletions (next_attempt_at);

create table public.retention_purges (
  id bigint generated always as identity primary key,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  purge_as_of timestamptz not null,
  retention_months integer not null,
  cutoff timestamptz not null,
  deleted jsonb not null
);
comment on table public.retention_purges is
  'One row per run of purge_expired_personal_data(): when, the cutoff, and how many rows it removed per table. No personal data.';
comment on column public.retention_purges.purge_as_of is 'The "now" the run judged ages by (the clock, unless a test or an admin passed one).';
comment on column public.retention_purges.cutoff is 'purge_as_of minus retention_months: leads quiet since before this were removed.';
comment on column public.retention_purges.deleted is
  'Rows removed per table (leads, lead_activities, notifications_outbox, notification_attempts, resend_events, appointments, sms_inbound_messages, media, form_submissions, form_refusals, sms_unreachable_phones), storage_deletions_queued, and consent events / email suppressions kept but unlinked from their lead.';

alter table public.storage_deletions enable row level security;
alter table public.retention_purges enable row level security;
revoke all on public.storage_deletions, public.retention_purges from anon, authenticated;
grant all on public.storage_deletions, public.retention_purges to service_role;

create or replace function public.lead_last_activity_at(lead_id uuid)
  returns timestamptz
  language sql
  stable
  security invoker
  set search_path = ''
as $$
  -- greatest() skips nulls: a lead with no appointment is judged by the rest.
  select greatest(
    l.created_at,
    l.updated_at,
    (select max(a.created_at) from public.lead_activities a where a.lead_id = l.id),
    (select max(greatest(o.created_at, o.updated_at, o.sent_at))
       from public.notifications_outbox o where o.lead_id = l.id),
    (select max(i.received_at) from public.sms_inbound_messages i where i.lead_id = l.id),
    -- A booked visit counts until it is over, however early it was booked.
    (select max(greatest(p.created_at, p.updated_at, p.changed_at, p.ends_at))
       from public.appointments p where p.lead_id = l.id),
    (select max(m.created_at) from public.media m where m.lead_id = l.id)
  )
  from public.leads l
  where l.id = lead_last_activity_at.lead_id
$$;
comment on function public.lead_last_activity_at(uuid) is
  'When anything last happened to a lead: the latest of its created_at and updated_at, its activities, its outbox rows (created, updated, sent), its inbound texts, its appointment (made, changed, or the visit''s end) and its photos. Retention counts from here.';
revoke all on function public.lead_last_activity_at(uuid) from public, anon, authenticated;
grant execute on function public.lead_last_activity_at(uuid) to service_role;

create or replace function public.purge_expired_personal_data("now" timestamptz default now())
  returns jsonb
  language plpgsql
  volatile
  -- Definer: it removes rows from tables whose grants and policies differ; only the service
  -- role and pg_cron may call it.
  security definer
  set search_path = ''
as $$
declare
  started timestamptz := clock_timestamp();
  months integer;
  purge_cutoff timestamptz;
  expired uuid[];
  outbox_ids bigint[];
  counts jsonb := '{}'::jsonb;
  n bigint;
  summary jsonb;
begin
  if purge_expired_personal_data.now is null then
    raise exception 'purge_expired_personal_data: "now" must be a time, not null';
  end if;
  -- Two runs at once (cron and an admin) would count each other's rows: one waits.
  perform pg_advisory_xact_lock(hashtext('leadwire:purge_expired_personal_data'));

  select b.retention_months into months from public.business_settings b;
  if months is null then
    raise exception 'purge_expired_personal_data: business_settings has no row, so no retention period';
  end if;
  purge_cutoff := purge_expired_personal_data.now - make_interval(months => months);

  -- created_at and updated_at bound the last activity from below: only old leads are judged.
  -- A lead someone is changing right now (locked) is left for tomorrow.
  select coalesce(array_agg(l.id), '{}') into expired
  from (
    select l.id from public.leads l
    where l.created_at < purge_cutoff and l.updated_at < purge_cutoff
      and public.lead_last_activity_at(l.id) < purge_cutoff
    for update skip locked
  ) l;

  select coalesce(array_agg(o.id), '{}') into outbox_ids
  from public.notifications_outbox o
  where o.lead_id = any (expired)
     or (o.lead_id is null and greatest(o.created_at, o.updated_at, o.sent_at) < purge_cutoff
         and o.status not in ('pending', 'sending', 'retry', 'deferred'));

  delete from public.notification_attempts t where t.outbox_id = any (outbox_ids);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('notification_attempts', n);

  delete from public.resend_events r
  where r.outbox_id = any (outbox_ids) or (r.outbox_id is null and r.received_at < purge_cutoff);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('resend_events', n);

  delete from public.notifications_outbox o where o.id = any (outbox_ids);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('notifications_outbox', n);

  delete from public.lead_activities a
  where a.lead_id = any (expired) or (a.lead_id is null and a.created_at < purge_cutoff);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('lead_activities', n);

  delete from public.appointments p where p.lead_id = any (expired);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('appointments', n);

  delete from public.sms_inbound_messages i
  where i.lead_id = any (expired) or (i.lead_id is null and i.received_at < purge_cutoff);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('sms_inbound_messages', n);

  insert into public.storage_deletions (bucket, object_path)
  select m.bucket, m.object_path from public.media m where m.lead_id = any (expired)
  on conflict (bucket, object_path) do nothing;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('storage_deletions_queued', n);

  delete from public.media m where m.lead_id = any (expired);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('media', n);

  -- The ledger stays whole: opt-out state is read per phone (sms_consent_status), so an
  -- event that loses its lead still stops the phone. Done here (the foreign key would do it
  -- too) so the run can say how many.
  update public.sms_consent_events e set lead_id = null where e.lead_id = any (expired);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('sms_consent_events_unlinked', n);

  update public.email_suppressions s set lead_id = null where s.lead_id = any (expired);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('email_suppressions_unlinked', n);

  delete from public.leads l where l.id = any (expired);
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('leads', n);

  delete from public.form_submissions f where f.created_at < purge_cutoff;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('form_submissions', n);

  delete from public.form_refusals f where f.created_at < purge_cutoff;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('form_refusals', n);

  delete from public.sms_unreachable_phones u where u.recorded_at < purge_cutoff;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('sms_unreachable_phones', n);

  insert into public.retention_purges (started_at, finished_at, purge_as_of, retention_months, cutoff, deleted)
  values (started, clock_timestamp(), purge_expired_personal_data.now, months, purge_cutoff, counts)
  returning jsonb_build_object(
    'run_id', id, 'started_at', started_at, 'finished_at', finished_at,
    'purge_as_of', purge_as_of, 'retention_months', retention_months, 'cutoff', cutoff,
    'deleted', deleted)
  into summary;
  return summary;
end
$$;
comment on function public.purge_expired_personal_data(timestamptz) is
  'Removes every lead whose last activity (lead_last_activity_at: the latest of its created_at/updated_at, activities, outbox rows, inbound texts, appointment and photos) is older than business_settings.retention_months before "now", with its activities, outbox rows and their attempts, Resend events, appointment, inbound texts and media rows (the photos'' Storage objects are queued in storage_deletions); and personal rows about no lead older than that (inbound texts, outbox rows and activities with no lead, Resend events, form_submissions, form_refusals, sms_unreachable_phones). Keeps the SMS consent ledger (a STOP outlives its lead) and email_suppressions, unlinked from the lead. Logs one row to retention_purges and returns the same summary. Run daily by pg_cron (leadwire-retention-purge); "now" is for tests and dry reckoning.';
revoke all on function public.purge_expired_personal_data(timestamptz) from public, anon, authenticated;
grant execute on function public.purge_expired_personal_data(timestamptz) to service_role;

-- Night in the shop's hemisphere; pg_cron runs it as the database owner.
select cron.schedule('leadwire-retention-purge', '17 3 * * *', 'select public.purge_expired_personal_data()');
