-- Admin visibility: what the dashboard shows, what Resend tells us, and who is alerted.
--
-- Admins run leadwire from the Supabase dashboard. This migration gives them, as views in the
-- table editor (all read by privileged roles only; anon and authenticated read nothing):
--
--   lead_timeline            one lead, its messages and every activity, newest first
--   notification_metrics_24h per channel and message kind: sent, failed, suppressed (by
--                            reason), success rate, seconds from lead to provider acceptance
--   outbox_health            queue depth per status, the oldest due message's age, dead letters
--   provider_health          per provider: last successful send, failures in a row
--   sms_compliance_audit     per phone: consent (when, how, the wording shown), opt-outs and
--                            opt-ins, every text sent with its delivery status
--   email_compliance_audit   per address: suppressed or not (and why), every email and its fate
--
-- and replay_dead_letters(...) to send dead messages again, once.
--
-- Resend posts delivery events (delivered, bounced, complained, opened) to the resend-events
-- function; each is kept once in resend_events (by its svix-id), so a retried webhook changes
-- nothing. A hard bounce or a complaint puts the address on email_suppressions: no email is
-- sent to it again until an admin deletes the row.
--
-- The sweep checks the health conditions (the plan's alert triggers) every minute and tells
-- the admin once per condition per hour, and once when it clears (admin_alerts keeps where
-- each condition stands, so two sweeps never alert twice).

-- What happened to an email after Resend took it, and a replayed dead letter.
alter table public.lead_activities drop constraint lead_activities_activity_type_check;
alter table public.lead_activities add constraint lead_activities_activity_type_check
  check (activity_type in (
    'email_sent', 'email_delivered', 'email_opened', 'email_failed',
    'email_bounced', 'email_complained',
    'sms_sent', 'sms_delivered', 'sms_failed', 'sms_opt_out', 'sms_opt_in', 'sms_received',
    'call_made', 'appointment_scheduled', 'appointment_cancelled', 'status_updated',
    'lead_assigned', 'lead_claimed', 'lead_escalated',
    'webhook_sent', 'webhook_failed',
    'notification_failed', 'notification_suppressed', 'notification_deferred',
    'notification_replayed'
  ));

-- Resend's events about one email arrive once each on the timeline, however often Resend
-- retries them or an address opens the email again.
create unique index lead_activities_email_event_idx
  on public.lead_activities ((metadata ->> 'email_event'))
  where metadata ? 'email_event';

insert into public.message_kinds (kind, channel, audience, description) values
  ('admin_alert_email', 'email', 'staff',
   'Tells the admin inbox that the notification system needs attention (dead letters, a backlog, a failing provider), and when it has cleared.'),
  ('admin_alert_sms', 'sms', 'staff',
   'The same alert by text to ADMIN_PHONE (or the on-call phone), used when email is the failing channel.');

-- ---------------------------------------------------------------------------------------
-- Email delivery events and the suppression list
-- ---------------------------------------------------------------------------------------

create table public.resend_events (
  svix_id text primary key,
  event_type text not null,
  email_id text,
  outbox_id bigint references public.notifications_outbox (id) on delete set null,
  payload jsonb not null,
  received_at timestamptz not null default now()
);
comment on table public.resend_events is
  'Every verified webhook Resend posted to resend-events, once per svix-id (a retry of the same event is recognised and changes nothing). outbox_id: the email it is about, null when no email of ours has that id.';
create index resend_events_email_idx on public.resend_events (email_id);

create table public.email_suppressions (
  address text primary key check (address = lower(address)),
  reason text not null check (reason in ('email_bounced', 'email_complained')),
  detail text,
  resend_email_id text,
  lead_id uuid references public.leads (id) on delete set null,
  suppressed_at timestamptz not null default now()
);
comment on table public.email_suppressions is
  'Addresses no email is sent to: Resend reported a hard bounce (email_bounced) or a spam complaint (email_complained). Emails planned to them are suppressed with that reason. Delete the row to email the address again.';
comment on column public.email_suppressions.address is 'The address, lower case.';
comment on column public.email_suppressions.detail is 'What Resend said (the bounce message, or the complaint).';

-- ---------------------------------------------------------------------------------------
-- Alerts
-- ---------------------------------------------------------------------------------------

create table public.admin_alerts (
  condition text primary key,
  raised_at timestamptz not null,
  cleared_at timestamptz,
  notified_at timestamptz not null,
  notifications integer not null default 1,
  summary text not null
);
comment on table public.admin_alerts is
  'Where each alert condition stands (dead_letters, backlog, stale_message, email_success_rate, sms_success_rate, <provider>_failures): raised when the sweep first saw it, the admin told then and at most once an hour while it lasts, and once more when it cleared (cleared_at).';
comment on column public.admin_alerts.summary is 'What the last alert said (numbers only, no personal data).';

-- ---------------------------------------------------------------------------------------
-- The dashboard's views
-- ---------------------------------------------------------------------------------------

create view public.lead_timeline
  with (security_invoker = true)
as
select
  l.id as lead_id,
  l.reference_number,
  e.at,
  e.entry,
  e.what,
  e.description,
  e.channel,
  e.status,
  e.details
from public.leads l
cross join lateral (
  select
    l.created_at as at,
    'lead' as entry,
    'lead_received' as what,
    format('%s asked for %s (%s)', concat_ws(' ', l.first_name, l.last_name),
      l.service_type, l.source_form) as description,
    null::text as channel,
    l.status as status,
    jsonb_strip_nulls(jsonb_build_object(
      'phone', l.phone_e164, 'email', l.email, 'sms_consent', l.sms_consent,
      'priority', l.priority, 'duplicate_of', l.duplicate_of)) as details
  union all
  select
    o.created_at,
    'message',
    o.template,
    concat_ws(' · ', o.status, o.status_reason, o.delivery_status, o.last_error),
    o.channel,
    o.status,
    jsonb_strip_nulls(jsonb_build_object(
      'outbox_id', o.id, 'key', o.key, 'recipient', o.recipient, 'attempts', o.attempts,
      'sent_at', o.sent_at, 'delivery_status', o.delivery_status,
      'next_attempt_at', case when o.status in ('pending', 'retry', 'deferred') then o.next_attempt_at end,
      'provider_message_id', o.provider_message_id))
  from public.notifications_outbox o
  where o.lead_id = l.id
  union all
  select
    a.created_at,
    'activity',
    a.activity_type,
    a.description,
    a.metadata ->> 'channel',
    null,
    a.metadata || jsonb_build_object('created_by', a.created_by)
  from public.lead_activities a
  where a.lead_id = l.id
) e
order by l.created_at desc, e.at desc, e.entry;
comment on view public.lead_timeline is
  'A lead''s story, newest first: when it came in (entry lead), each message planned for it with where it stands now (entry message), and every activity (entry activity). Filter: where reference_number = ''PAG-…''.';

-- Success: the provider took the message and has not reported it lost since. Failure: we gave
-- up (dead), or the provider took it and then reported it bounced, undelivered or failed (the
-- plan's "SMS delivery rate > 98 %"). Suppressed (the law or the shop said no) and deferred
-- (quiet hours) are neither; a complaint is delivered, and counted on its own.
create view public.notification_metrics_24h
  with (security_invoker = true)
as
with recent as (
  select
    o.channel,
    o.template,
    o.status,
    o.status_reason,
    o.delivery_status,
    extract(epoch from o.sent_at - l.created_at)::double precision as seconds_to_provider,
    o.status = 'sent' and coalesce(o.delivery_status, '') in ('bounced', 'undelivered', 'failed')
      as lost_after_sending
  from public.notifications_outbox o
  left join public.leads l on l.id = o.lead_id
  where o.created_at > now() - interval '24 hours'
), reasons as (
  select channel, template, jsonb_object_agg(reason, n order by reason) as by_reason
  from (
    select channel, template, coalesce(status_reason, 'unknown') as reason, count(*) as n
    from recent where status = 'suppressed'
    group by grouping sets ((channel, status_reason), (channel, template, status_reason))
  ) r
  group by channel, template
), totals as (
  select
    channel,
    template,
    count(*) as planned,
    count(*) filter (where status = 'sent') as sent,
    count(*) filter (where status = 'dead') as failed,
    count(*) filter (where status = 'suppressed') as suppressed,
    count(*) filter (where status = 'deferred') as deferred,
    count(*) filter (where status in ('pending', 'sending', 'retry')) as in_flight,
    count(*) filter (where delivery_status = 'delivered') as delivered,
    count(*) filter (where delivery_status = 'bounced') as bounced,
    count(*) filter (where delivery_status = 'complained') as complained,
    count(*) filter (where delivery_status in ('undelivered', 'failed')) as undelivered,
    count(*) filter (where status = 'sent' and not lost_after_sending) as succeeded,
    count(*) filter (where status = 'dead' or lost_after_sending) as failures,
    percentile_cont(0.5) within group (order by seconds_to_provider)
      filter (where status = 'sent') as p50,
    percentile_cont(0.95) within group (order by seconds_to_provider)
      filter (where status = 'sent') as p95,
    max(seconds_to_provider) filter (where status = 'sent') as max_seconds
  from recent
  group by grouping sets ((channel), (channel, template))
)
select
  t.channel,
  coalesce(t.template, 'all') as message_kind,
  t.planned,
  t.sent,
  t.failed,
  t.suppressed,
  coalesce(r.by_reason, '{}'::jsonb) as suppressed_by_reason,
  t.deferred,
  t.in_flight,
  t.delivered,
  t.bounced,
  t.complained,
  t.undelivered,
  t.succeeded + t.failures as settled,
  round(100.0 * t.succeeded / nullif(t.succeeded + t.failures, 0), 2) as success_rate_pct,
  round(t.p50::numeric, 2) as p50_seconds_to_provider,
  round(t.p95::numeric, 2) as p95_seconds_to_provider,
  round(t.max_seconds::numeric, 2) as max_seconds_to_provider
from totals t
left join reasons r
  on r.channel = t.channel and r.template is not distinct from t.template
order by t.channel, t.template nulls first;
comment on view public.notification_metrics_24h is
  'Messages planned in the last 24 h, per channel (message_kind = all) and per kind: sent (provider accepted), failed (gave up: dead), suppressed (by reason), deferred (waiting for SMS hours), in flight, the delivery reports since (delivered, bounced, complained, undelivered), settled = sent + failed, success_rate_pct = sent and not reported bounced or undelivered / settled, and seconds from the lead coming in to the provider accepting (p50, p95, max; messages about a lead only).';

create view public.outbox_health
  with (security_invoker = true)
as
select
  count(*) filter (where status = 'pending') as pending,
  count(*) filter (where status = 'sending') as sending,
  count(*) filter (where status = 'retry') as retry,
  count(*) filter (where status = 'deferred') as deferred,
  count(*) filter (where status = 'dead') as dead_letters,
  count(*) filter (where status in ('pending', 'sending', 'retry')
    or (status = 'deferred' and next_attempt_at <= now())) as queue_depth,
  coalesce(round(extract(epoch from max(now() - case
      when status in ('pending', 'sending', 'retry') then created_at
      when status = 'deferred' and next_attempt_at <= now() then next_attempt_at
    end))::numeric, 0), 0)::integer as oldest_waiting_seconds,
  min(updated_at) filter (where status = 'dead') as oldest_dead_letter_at,
  now() as checked_at
from public.notifications_outbox
where status in ('pending', 'sending', 'retry', 'deferred', 'dead');
comment on view public.outbox_health is
  'One row: messages per waiting status, dead letters, queue_depth (waiting to be sent now: pending, sending, retry, and deferred ones whose hour has come) and oldest_waiting_seconds (how long the longest-waiting of those has waited: since it was planned, or for a deferred one since its hour came).';

create index notification_attempts_created_idx on public.notification_attempts (created_at);

create view public.provider_health
  with (security_invoker = true)
as
with channels (channel, provider) as (
  values ('email', 'resend'), ('sms', 'twilio'), ('webhook', 'webhooks')
), attempts as (
  select o.channel, a.id, a.outcome, a.error, a.created_at
  from public.notification_attempts a
  join public.notifications_outbox o on o.id = a.outbox_id
  where a.created_at > now() - interval '24 hours'
    and a.outcome in ('sent', 'retry', 'dead')
    and not a.lease_lost
)
select
  c.provider,
  c.channel,
  (select max(o.sent_at) from public.notifications_outbox o
    where o.channel = c.channel and o.status = 'sent') as last_success_at,
  (select count(*) from attempts a
    where a.channel = c.channel and a.outcome <> 'sent'
      and a.id > coalesce((select max(s.id) from attempts s
        where s.channel = c.channel and s.outcome = 'sent'), 0)) as failures_in_a_row,
  (select max(a.created_at) from attempts a
    where a.channel = c.channel and a.outcome <> 'sent') as last_failure_at
from channels c;
comment on view public.provider_health is
  'Per provider (Resend for email, Twilio for SMS, the webhook receivers): the last message it accepted, and how many attempts in a row (last 24 h) it has failed since.';

create view public.sms_compliance_audit
  with (security_invoker = true)
as
with phones as (
  select phone_e164 as phone from public.sms_consent_events
  union
  select recipient from public.notifications_outbox where channel = 'sms' and recipient is not null
)
select
  p.phone,
  coalesce(s.may_text, false) as may_text,
  (select max(e.created_at) from public.sms_consent_events e
    where e.phone_e164 = p.phone and e.event = 'opt_in') as last_opt_in_at,
  (select max(e.created_at) from public.sms_consent_events e
    where e.phone_e164 = p.phone and e.event = 'opt_out') as last_opt_out_at,
  coalesce((
    select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
      'at', e.created_at, 'event', e.event, 'source', e.source, 'wording', e.detail,
      'lead', l.reference_number)) order by e.created_at, e.id)
    from public.sms_consent_events e
    left join public.leads l on l.id = e.lead_id
    where e.phone_e164 = p.phone), '[]'::jsonb) as consent_history,
  coalesce((
    select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
      'lead', l.reference_number, 'box_ticked', l.sms_consent, 'at', l.sms_consent_at,
      'source', l.sms_consent_source, 'wording_version', l.sms_consent_version,
      'wording', l.sms_consent_text)) order by l.created_at)
    from public.leads l where l.phone_e164 = p.phone), '[]'::jsonb) as form_consents,
  (select count(*) from public.notifications_outbox o
    where o.channel = 'sms' and o.recipient = p.phone and o.status = 'sent') as texts_sent,
  coalesce((
    select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
      'at', coalesce(o.sent_at, o.created_at), 'kind', o.template, 'status', o.status,
      'reason', o.status_reason, 'delivery_status', o.delivery_status,
      'lead', l.reference_number)) order by o.created_at, o.id)
    from public.notifications_outbox o
    left join public.leads l on l.id = o.lead_id
    where o.channel = 'sms' and o.recipient = p.phone), '[]'::jsonb) as texts
from phones p
left join public.sms_consent_status s on s.phone_e164 = p.phone;
comment on view public.sms_compliance_audit is
  'TCPA audit per phone: may we text it now, every consent event (when, how, the wording shown), the consent each form recorded, and every text planned to it with its status and delivery report. Filter: where phone = ''+1…''.';

create view public.email_compliance_audit
  with (security_invoker = true)
as
with addresses as (
  select distinct lower(recipient) as address
  from public.notifications_outbox where channel = 'email' and recipient is not null
  union
  select address from public.email_suppressions
)
select
  a.address,
  s.address is not null as suppressed,
  s.reason as suppression_reason,
  s.detail as suppression_detail,
  s.suppressed_at,
  (select count(*) from public.notifications_outbox o
    where o.channel = 'email' and lower(o.recipient) = a.address and o.status = 'sent') as emails_sent,
  coalesce((
    select jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
      'at', coalesce(o.sent_at, o.created_at), 'kind', o.template, 'status', o.status,
      'reason', o.status_reason, 'delivery_status', o.delivery_status,
      'lead', l.reference_number)) order by o.created_at, o.id)
    from public.notifications_outbox o
    left join public.leads l on l.id = o.lead_id
    where o.channel = 'email' and lower(o.recipient) = a.address), '[]'::jsonb) as emails
from addresses a
left join public.email_suppressions s on s.address = a.address;
comment on view public.email_compliance_audit is
  'Per email address: whether it is suppressed (hard bounce or complaint, with what Resend said), and every email planned to it with its status and delivery report.';

-- ---------------------------------------------------------------------------------------
-- Replaying dead letters
-- ---------------------------------------------------------------------------------------

create or replace function public.replay_dead_letters(
  ids bigint[] default null,
  kind text default null,
  dead_since timestamptz default null
) returns table (id bigint, key text, template text, recipient text, last_error text)
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  with replayed as (
    update public.notifications_outbox o
    set status = 'retry',
        next_attempt_at = now(),
        -- One more attempt: a replay sends once; if it fails it is dead again, not retried.
        max_attempts = o.attempts + 1,
        lease_until = null,
        lease_token = null
    where o.status = 'dead'
      and (replay_dead_letters.ids is null or o.id = any (replay_dead_letters.ids))
      and (replay_dead_letters.kind is null or o.template = replay_dead_letters.kind)
      and (replay_dead_letters.dead_since is null or o.updated_at >= replay_dead_letters.dead_since)
    returning o.id, o.key, o.template, o.recipient, o.last_error, o.lead_id, o.channel, o.attempts
  ), logged as (
    insert into public.lead_activities (lead_id, activity_type, description, metadata, created_by)
    select r.lead_id, 'notification_replayed',
      format('%s replayed by %s (was dead: %s)', r.template, current_user, coalesce(r.last_error, 'no error recorded')),
      jsonb_build_object('outbox_key', r.key, 'template', r.template, 'channel', r.channel,
        'attempt', r.attempts + 1, 'previous_error', r.last_error),
      current_user
    from replayed r
  )
  select r.id, r.key, r.template, r.recipient, r.last_error from replayed r;
  -- Sent within seconds by the sweep, after this transaction commits; else at the next minute.
  if found then
    perform public.request_outbox_sweep();
  end if;
end
$$;
comment on function public.replay_dead_letters(bigint[], text, timestamptz) is
  'Sends dead messages again, once each (one more attempt; a failure leaves it dead again), with a notification_replayed activity. Pick them by outbox ids, by message kind, and/or dead since a time; no argument replays every dead letter. Example: select * from replay_dead_letters(ids => array[42, 43]);';
revoke all on function public.replay_dead_letters(bigint[], text, timestamptz) from public, anon, authenticated;
grant execute on function public.replay_dead_letters(bigint[], text, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------
-- Who may read what
-- ---------------------------------------------------------------------------------------

alter table public.resend_events enable row level security;
alter table public.email_suppressions enable row level security;
alter table public.admin_alerts enable row level security;
revoke all on public.resend_events, public.email_suppressions, public.admin_alerts
  from anon, authenticated;
grant all on public.resend_events, public.email_suppressions, public.admin_alerts to service_role;

revoke all on public.lead_timeline, public.notification_metrics_24h, public.outbox_health,
  public.provider_health, public.sms_compliance_audit, public.email_compliance_audit
  from public, anon, authenticated;
grant select on public.lead_timeline, public.notification_metrics_24h, public.outbox_health,
  public.provider_health, public.sms_compliance_audit, public.email_compliance_audit
  to service_role;

comment on table public.notifications_outbox is
  'One row per intended message (email, SMS, webhook). Admin view of what was sent, what is waiting, and what failed. Send dead rows again with select * from replay_dead_letters(ids => array[…]).';
