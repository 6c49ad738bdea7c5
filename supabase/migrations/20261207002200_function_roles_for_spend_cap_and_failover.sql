-- The function roles (20261207002000_function_roles.sql) were granted before the SMS spend cap
-- (20261207001600), the learned provider limits (20261207001601), the email failover
-- (20261207001700) and SendGrid's events (20261207001800) existed: as the roles, a sender could
-- not read the day's spend, learn Resend's limit, read Twilio's pause or go through the circuit,
-- sendgrid-events had no role of its own, and the health answer lacked the budget and the
-- circuits. This gives each group what the code under shared/ does with those objects, and
-- nothing more:
--   * the senders (notify-lead, send-reminders, and twilio-inbound's drain): the day's spend
--     (prepare.ts, lead_store.ts), learn_provider_limit and provider_pause_ms (rate_limiter.ts),
--     provider_circuit_allows and record_provider_call (email_failover.ts), and the tables those
--     security invoker functions read and write;
--   * sendgrid-events: its own login in a group of its own (a SendGrid webhook bug cannot write
--     Resend's events, nor the other way round), with what resend-events has, on SendGrid's table;
--   * health: still no table. health_snapshot() also returns the day's spend and each provider's
--     circuit, read with the owner's rights.

do $$
begin
  if not exists (select from pg_roles where rolname = 'leadwire_sendgrid_webhook') then
    create role leadwire_sendgrid_webhook nologin nosuperuser nocreatedb nocreaterole nobypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'leadwire_sendgrid_events') then
    create role leadwire_sendgrid_events login inherit nosuperuser nocreatedb nocreaterole
      nobypassrls;
  end if;
end
$$;
grant leadwire_sendgrid_webhook to leadwire_sendgrid_events;
comment on role leadwire_sendgrid_webhook is
  'Group: sendgrid-events, open to SendGrid''s signed posts. Records email delivery events and suppressions; cannot read leads or change settings, staff or consent wording.';
comment on role leadwire_sendgrid_events is
  'Login of the sendgrid-events edge function (its URL secret SENDGRID_EVENTS_DB_URL), a member of leadwire_sendgrid_webhook. Password set by the admin, never in a migration.';

grant usage on schema public to leadwire_sendgrid_webhook;

-- As in 20261207002000: one table grant and one RLS policy per group, table and operation, from
-- one list. The outbox's new columns (segments, provider) and notification_attempts.provider
-- are covered by the senders' table-wide grants there.
do $$
declare
  r record;
  op text;
begin
  for r in select * from (values
    -- learn_provider_limit upserts the stated limit; take_provider_slot reads it.
    ('leadwire_engine', 'provider_limits', array['select', 'insert', 'update'], null),
    ('leadwire_twilio_webhook', 'provider_limits', array['select', 'insert', 'update'], null),
    -- provider_circuit_allows and record_provider_call lock the circuit's row and move it.
    ('leadwire_engine', 'provider_circuits', array['select', 'update'], null),
    ('leadwire_twilio_webhook', 'provider_circuits', array['select', 'update'], null),
    -- sendgrid-events: the email an event is about (by its outbox key, or SendGrid's message
    -- id), its delivery status moved, the event kept once, hard bounces and spam reports
    -- suppressed, the lead's activity logged. ON CONFLICT reads its target's column.
    ('leadwire_sendgrid_webhook', 'notifications_outbox', array['select'],
      'id, key, lead_id, template, recipient, delivery_status, provider, provider_message_id, channel'),
    ('leadwire_sendgrid_webhook', 'notifications_outbox', array['update'], 'delivery_status'),
    ('leadwire_sendgrid_webhook', 'sendgrid_events', array['insert'], null),
    ('leadwire_sendgrid_webhook', 'sendgrid_events', array['select'], 'sg_event_id'),
    ('leadwire_sendgrid_webhook', 'email_suppressions', array['insert'], null),
    ('leadwire_sendgrid_webhook', 'email_suppressions', array['select'], 'address'),
    ('leadwire_sendgrid_webhook', 'lead_activities', array['select', 'insert'], null)
  ) as t(grp, tab, ops, cols)
  loop
    foreach op in array r.ops loop
      execute format('grant %s%s on public.%I to %I', op,
        case when r.cols is not null then ' (' || r.cols || ')' else '' end, r.tab, r.grp);
      execute format('create policy %I on public.%I for %s to %I %s',
        format('%s may %s', r.grp, op), r.tab, op, r.grp,
        case op
          when 'insert' then 'with check (true)'
          when 'update' then 'using (true) with check (true)'
          else 'using (true)'
        end);
    end loop;
  end loop;
end
$$;

-- The day's spend (security_invoker: the outbox's and settings' grants above apply).
grant select on public.sms_spend_today to leadwire_engine, leadwire_twilio_webhook;

-- Security invoker, revoked from PUBLIC in their migrations; the senders call them.
grant execute on function
  public.learn_provider_limit(text, integer), public.provider_pause_ms(text),
  public.provider_circuit_allows(text), public.record_provider_call(text, boolean, text)
  to leadwire_engine, leadwire_twilio_webhook;

-- As in 20261207002000, plus the day's SMS spend (sms_spend_today) and each provider's circuit
-- (provider_health.circuit, circuit_opened_at): the spend cap's alerts and the failover's
-- reach the health function and the sweep this way, the monitor's role still reading no table.
create or replace function public.health_snapshot(held_reason text)
  returns jsonb
  language sql
  stable
  security definer
  set search_path = ''
as $$
  select jsonb_build_object(
    'outbox', (select to_jsonb(h) from (
      select pending::int, sending::int, retry::int, deferred::int, dead_letters::int,
             queue_depth::int, oldest_waiting_seconds::int
      from public.outbox_health) h),
    'rates', (select coalesce(jsonb_agg(jsonb_build_object(
        'channel', m.channel, 'success_rate_pct', m.success_rate_pct, 'settled', m.settled)), '[]')
      from public.notification_metrics_24h m where m.message_kind = 'all'),
    'providers', (select coalesce(jsonb_agg(jsonb_build_object(
        'provider', p.provider, 'channel', p.channel, 'last_success_at', p.last_success_at,
        'failures_in_a_row', p.failures_in_a_row, 'circuit', p.circuit,
        'circuit_opened_at', p.circuit_opened_at) order by p.provider), '[]')
      from public.provider_health p),
    'held', (select jsonb_build_object(
        'count', (select count(*) from public.notifications_outbox
                  where status = 'deferred' and status_reason = held_reason),
        'recipients', coalesce((select jsonb_agg(o.recipient order by o.id) from (
          select id, recipient from public.notifications_outbox
          where status = 'deferred' and status_reason = held_reason
          order by id limit 5) o), '[]'))),
    'per_hour', (select first_texts_per_hour from public.business_settings),
    'sms_spend', (select jsonb_build_object('spentUsd', t.spent_usd, 'budgetUsd', t.budget_usd)
      from public.sms_spend_today t)
  )
$$;
comment on function public.health_snapshot(text) is
  'The health answer''s figures (outbox depth, 24 h success rates, providers and their circuits, texts held for held_reason, the hourly first-text limit, the day''s SMS spend against its budget) with the owner''s rights: what the health function''s role may read instead of the tables. No lead data but the first five held recipients, which the function masks.';
