-- SendGrid as a second email provider (issue 23, part 1). When Resend keeps failing (5xx,
-- timeouts, dropped connections) every function instance stops calling it and sends email
-- through SendGrid, until Resend answers again. Which way to go is one row per provider in
-- provider_circuits, shared by every worker: a circuit breaker.
--
--   closed ──failure_threshold failures in a row──▶ open ──cool_down_seconds──▶ half_open
--     ▲                                               ▲                            │
--     │                                               └────── the probe failed ────┤
--     └──────────────── any call answered (the probe or a straggler) ──────────────┘
--
-- While open, one caller per cool-down is let through to Resend (the probe); everyone else
-- sends through SendGrid. An email whose Resend call got no answer (in doubt) never goes to
-- SendGrid: it waits for Resend and goes again there under its Idempotency-Key (README,
-- "Email failover"). The sweep's alerts tell the admin once when a circuit opens
-- (<provider>_failover) and once when it closes.
--
-- Which provider took each message is recorded on it and on each attempt, and provider_health
-- has a row per provider (Resend and SendGrid for email) with its circuit.

alter table public.notifications_outbox add column provider text;
comment on column public.notifications_outbox.provider is
  'Who accepted the message: resend or sendgrid (email), twilio (SMS), webhook receiver. Null until sent (and on messages sent before issue 23, which went through resend or twilio by channel).';

alter table public.notification_attempts add column provider text;
comment on column public.notification_attempts.provider is
  'The provider this attempt called (resend, sendgrid, twilio, webhook receiver); null for an attempt that called none (held back, or not prepared) and for attempts made before issue 23, which provider_health counts as the channel''s first provider.';

create table public.provider_circuits (
  provider text primary key,
  state text not null default 'closed' check (state in ('closed', 'open', 'half_open')),
  failures_in_a_row integer not null default 0 check (failures_in_a_row >= 0),
  failure_threshold integer not null default 3 check (failure_threshold > 0),
  cool_down_seconds integer not null default 30 check (cool_down_seconds between 1 and 3600),
  opened_at timestamptz,
  probe_at timestamptz,
  probe_until timestamptz,
  last_failure text,
  changed_at timestamptz not null default now()
);
comment on table public.provider_circuits is
  'Circuit breaker per primary provider, shared by every sender. closed: the provider is called. open: it failed failure_threshold calls in a row (5xx, timeouts, dropped connections; never 4xx or 429) and its messages go to the fallback (Resend → SendGrid); one probe call is let through every cool_down_seconds. half_open: that probe is on the wire. Any answered call closes it. To force the fallback by hand: update provider_circuits set state = ''open'', opened_at = now(), probe_at = now() + interval ''10 minutes'' where provider = ''resend''.';
comment on column public.provider_circuits.failures_in_a_row is 'Failed calls since the last answered one.';
comment on column public.provider_circuits.failure_threshold is 'Failed calls in a row that open the circuit (3).';
comment on column public.provider_circuits.cool_down_seconds is 'How long an open circuit waits before letting one probe call through (30 s).';
comment on column public.provider_circuits.opened_at is 'When the circuit last opened (null while closed).';
comment on column public.provider_circuits.probe_at is 'When the next probe may go (open circuits only).';
comment on column public.provider_circuits.probe_until is 'A probe is on the wire until then (half_open); after it, another caller may probe.';
comment on column public.provider_circuits.last_failure is 'The last failure counted (HTTP status or network error; no personal data).';

insert into public.provider_circuits (provider) values ('resend');

alter table public.provider_circuits enable row level security;
revoke all on public.provider_circuits from anon, authenticated;
grant all on public.provider_circuits to service_role;

create or replace function public.provider_circuit_allows(provider_name text)
returns boolean
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
declare
  c public.provider_circuits;
begin
  select * into c from public.provider_circuits where provider = provider_name for update;
  if not found or c.state = 'closed' then
    return true;
  end if;
  -- One probe per cool-down: the caller that takes it calls the provider; the lease outlasts a
  -- call's 10 s timeout, so a probe whose sender died frees the next one.
  if c.probe_at <= now() and (c.probe_until is null or c.probe_until < now()) then
    update public.provider_circuits
    set state = 'half_open', probe_until = now() + interval '15 seconds', changed_at = now()
    where provider = provider_name;
    return true;
  end if;
  return false;
end
$$;
comment on function public.provider_circuit_allows(text) is
  'Whether a sender may call this provider now: always while its circuit is closed; while open, only the one caller given the probe after each cool-down (the circuit is then half_open). A provider without a circuit is always allowed.';

create or replace function public.record_provider_call(provider_name text, answered boolean, failure text default null)
returns text
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
declare
  c public.provider_circuits;
begin
  select * into c from public.provider_circuits where provider = provider_name for update;
  if not found then
    return null;
  end if;
  if answered and c.state = 'closed' and c.failures_in_a_row = 0 then
    return 'closed';
  elsif answered then
    update public.provider_circuits
    set state = 'closed', failures_in_a_row = 0, opened_at = null, probe_at = null,
        probe_until = null,
        changed_at = case when c.state = 'closed' then c.changed_at else now() end
    where provider = provider_name;
    return 'closed';
  end if;
  if c.state = 'half_open' or (c.state = 'closed' and c.failures_in_a_row + 1 >= c.failure_threshold) then
    update public.provider_circuits
    set state = 'open', failures_in_a_row = c.failures_in_a_row + 1,
        opened_at = coalesce(c.opened_at, now()),
        probe_at = now() + make_interval(secs => c.cool_down_seconds), probe_until = null,
        last_failure = left(failure, 200), changed_at = now()
    where provider = provider_name;
    return 'open';
  end if;
  update public.provider_circuits
  set failures_in_a_row = c.failures_in_a_row + 1, last_failure = left(failure, 200)
  where provider = provider_name;
  return c.state;
end
$$;
comment on function public.record_provider_call(text, boolean, text) is
  'Records how a call to the provider ended: answered (any HTTP answer but a 5xx) closes its circuit; a failure (5xx, timeout, dropped connection) counts, and the failure_threshold-th in a row, or a failed probe, opens it for cool_down_seconds. Returns the circuit''s state after it.';

revoke all on function public.provider_circuit_allows(text) from public, anon, authenticated;
revoke all on function public.record_provider_call(text, boolean, text) from public, anon, authenticated;
grant execute on function public.provider_circuit_allows(text) to service_role;
grant execute on function public.record_provider_call(text, boolean, text) to service_role;

-- provider_health: one row per provider, email split between Resend and SendGrid by who each
-- attempt called. An attempt that names none counts for the channel's first provider, as before:
-- attempts made before this migration, and those that called nobody (an email held for Resend
-- while its circuit is open is no news about Resend, but a failover alert covers that time).
create or replace view public.provider_health
  with (security_invoker = true)
as
with channels (channel, provider) as (
  values ('email', 'resend'), ('email', 'sendgrid'), ('sms', 'twilio'), ('webhook', 'webhooks')
), attempts as (
  select o.channel,
    case o.channel when 'webhook' then 'webhooks'
      else coalesce(a.provider, case o.channel when 'email' then 'resend' else 'twilio' end)
    end as provider,
    a.id, a.outcome, a.error, a.created_at
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
    where o.channel = c.channel and o.status = 'sent'
      and case o.channel when 'webhook' then 'webhooks'
            else coalesce(o.provider, case o.channel when 'email' then 'resend' else 'twilio' end)
          end = c.provider) as last_success_at,
  (select count(*) from attempts a
    where a.provider = c.provider and a.outcome <> 'sent'
      and a.id > coalesce((select max(s.id) from attempts s
        where s.provider = c.provider and s.outcome = 'sent'), 0)) as failures_in_a_row,
  (select max(a.created_at) from attempts a
    where a.provider = c.provider and a.outcome <> 'sent') as last_failure_at,
  coalesce(pc.state, 'closed') as circuit,
  pc.opened_at as circuit_opened_at
from channels c
left join public.provider_circuits pc on pc.provider = c.provider;
comment on view public.provider_health is
  'Per provider (Resend and SendGrid for email, Twilio for SMS, the webhook receivers): the last message it accepted, how many attempts in a row (last 24 h) it has failed since, and its circuit (closed; open: its email goes through SendGrid, see provider_circuits).';

-- A lead's timeline names who took each of its messages (resend or sendgrid for email).
create or replace view public.lead_timeline
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
  e.details,
  l.time_zone
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
      'priority', l.priority, 'duplicate_of', l.duplicate_of, 'time_zone', l.time_zone,
      'also_time_zones', nullif(l.also_time_zones, '{}'))) as details
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
      'provider_message_id', o.provider_message_id, 'provider', o.provider))
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
