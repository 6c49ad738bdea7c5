-- Each edge function connects as a role of its own, which may do what that function needs and
-- nothing else (issue 21). Until now every function connected as `postgres` (SUPABASE_DB_URL),
-- the four that strangers can reach included (health, lead-action, twilio-inbound,
-- resend-events): a bug in any of their parsers was a bug with the owner's rights.
--
-- Two kinds of role:
--   * a group per trust level (NOLOGIN) holds the grants and RLS policies;
--   * a login role per function (`leadwire_<function>`) is a member of its group and holds
--     nothing itself. A second login role per function can later join the same group, so a
--     password is rotated without downtime (issue 24).
-- No role is a superuser, owns a table or bypasses RLS: every table has RLS enabled, so each
-- group gets one policy per operation it may perform on each table it touches, beside the
-- table grant. Writes outside those go through the `security definer` functions that already
-- exist (the database webhooks, consent ledger, references and time zones are triggers of that
-- kind; pg_net's and pg_cron's work runs as their owners, unchanged).
--
-- The login roles have no password here: a migration is history anyone with the repository
-- reads. The admin sets each one (`alter role leadwire_health password '…'`, README "Database
-- roles") and gives each function its URL secret; the local stack does the same after migrating.
-- Written for hosted Supabase, where `postgres` is not a superuser but has CREATEROLE: every
-- role is created only where absent.

do $$
declare
  r record;
begin
  for r in select * from (values
    ('leadwire_engine', 'Group: notify-lead and send-reminders, called by the database (shared secret). Plans and sends every message; reads the roster and settings, never changes settings or consent wording.'),
    ('leadwire_twilio_webhook', 'Group: twilio-inbound, open to Twilio''s signed posts. Records customers'' texts, consent changes and delivery reports, and sends what they call for; cannot change settings, staff or consent wording.'),
    ('leadwire_resend_webhook', 'Group: resend-events, open to Resend''s signed posts. Records email delivery events and suppressions; cannot read leads or change settings, staff or consent wording.'),
    ('leadwire_staff_links', 'Group: lead-action, open to anyone holding a signed staff link. Reads a lead''s reference and first name and a staff member''s name, records the action; nothing else.'),
    ('leadwire_monitor', 'Group: health, open to uptime monitors without a key. Reads the outbox''s health figures only: no lead, no settings change.')
  ) as t(name, what)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I nologin nosuperuser nocreatedb nocreaterole nobypassrls', r.name);
    end if;
    execute format('comment on role %I is %L', r.name, r.what);
  end loop;

  for r in select * from (values
    ('leadwire_notify_lead', 'leadwire_engine', 'notify-lead'),
    ('leadwire_send_reminders', 'leadwire_engine', 'send-reminders'),
    ('leadwire_twilio_inbound', 'leadwire_twilio_webhook', 'twilio-inbound'),
    ('leadwire_resend_events', 'leadwire_resend_webhook', 'resend-events'),
    ('leadwire_lead_action', 'leadwire_staff_links', 'lead-action'),
    ('leadwire_health', 'leadwire_monitor', 'health')
  ) as t(name, grp, fn)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I login inherit nosuperuser nocreatedb nocreaterole nobypassrls',
        r.name);
    end if;
    execute format('grant %I to %I', r.grp, r.name);
    execute format('comment on role %I is %L', r.name, format(
      'Login of the %s edge function (its URL secret %s_DB_URL), a member of %s. Password set by the admin, never in a migration.',
      r.fn, upper(replace(r.fn, '-', '_')), r.grp));
  end loop;
end
$$;

grant usage on schema public to leadwire_engine, leadwire_twilio_webhook, leadwire_resend_webhook,
  leadwire_staff_links, leadwire_monitor;

-- What each group may do to each table: the statements its functions run (shared/ and each
-- functions/*/index.ts's wiring), and those of the security invoker functions and triggers
-- they reach. A table grant alone lets nothing through RLS and a policy alone grants nothing,
-- so both are made here from one list, one policy per operation. A column list narrows a grant
-- where a group needs a few columns only. `for update` row locks need an UPDATE grant and
-- policy, so a group that locks rows it never changes gets UPDATE on the narrowest column.
do $$
declare
  r record;
  op text;
begin
  for r in select * from (values
    -- notify-lead and send-reminders: planning (leads, assignment, paging, digests,
    -- appointments, reminders), the outbox engine (claims, leases, attempts, rate slots), the
    -- senders' outcomes (consent on Twilio's 21610, unreachable numbers), admin alerts and the
    -- storage deletions the sweep drains.
    ('leadwire_engine', 'leads', array['select', 'update'], null),
    ('leadwire_engine', 'lead_activities', array['select', 'insert'], null),
    ('leadwire_engine', 'notifications_outbox', array['select', 'insert', 'update'], null),
    ('leadwire_engine', 'notification_attempts', array['select', 'insert'], null),
    ('leadwire_engine', 'provider_rate_slots', array['select', 'insert', 'update', 'delete'], null),
    ('leadwire_engine', 'appointments', array['select', 'update'], null),
    ('leadwire_engine', 'staff_members', array['select'], null),
    ('leadwire_engine', 'staff_members', array['update'], 'last_assigned_at'),
    ('leadwire_engine', 'business_settings', array['select'], null),
    ('leadwire_engine', 'message_kinds', array['select'], null),
    ('leadwire_engine', 'media', array['select'], null),
    ('leadwire_engine', 'email_suppressions', array['select'], null),
    ('leadwire_engine', 'sms_consent_events', array['select', 'insert'], null),
    ('leadwire_engine', 'sms_unreachable_phones', array['select', 'insert', 'update'], null),
    ('leadwire_engine', 'sms_inbound_messages', array['select'], null),
    ('leadwire_engine', 'admin_alerts', array['select', 'insert', 'update'], null),
    ('leadwire_engine', 'storage_deletions', array['select', 'update', 'delete'], null),
    -- twilio-inbound: customers' texts and delivery reports, and the drain of what they call
    -- for (a reply's staff email; TwiML answers recorded as sent). It locks the leads it
    -- prepares messages for and changes none.
    ('leadwire_twilio_webhook', 'leads', array['select'], null),
    ('leadwire_twilio_webhook', 'leads', array['update'], 'updated_at'),
    ('leadwire_twilio_webhook', 'lead_activities', array['select', 'insert'], null),
    ('leadwire_twilio_webhook', 'notifications_outbox', array['select', 'insert', 'update'], null),
    ('leadwire_twilio_webhook', 'notification_attempts', array['select', 'insert'], null),
    ('leadwire_twilio_webhook', 'provider_rate_slots', array['select', 'insert', 'update', 'delete'], null),
    ('leadwire_twilio_webhook', 'appointments', array['select'], null),
    ('leadwire_twilio_webhook', 'staff_members', array['select'], null),
    ('leadwire_twilio_webhook', 'business_settings', array['select'], null),
    ('leadwire_twilio_webhook', 'message_kinds', array['select'], null),
    ('leadwire_twilio_webhook', 'media', array['select'], null),
    ('leadwire_twilio_webhook', 'email_suppressions', array['select'], null),
    ('leadwire_twilio_webhook', 'sms_consent_events', array['select', 'insert'], null),
    ('leadwire_twilio_webhook', 'sms_unreachable_phones', array['select', 'insert', 'update', 'delete'], null),
    ('leadwire_twilio_webhook', 'sms_inbound_messages', array['select', 'insert'], null),
    -- resend-events: the email an event is about, its delivery status moved, the event kept
    -- once, bounced and complaining addresses suppressed, the lead's activity logged.
    ('leadwire_resend_webhook', 'notifications_outbox', array['select'],
      'id, key, lead_id, template, recipient, delivery_status, provider_message_id, channel, payload'),
    ('leadwire_resend_webhook', 'notifications_outbox', array['update'], 'delivery_status'),
    -- ON CONFLICT reads its target's columns: the event's id, the address.
    ('leadwire_resend_webhook', 'resend_events', array['insert'], null),
    ('leadwire_resend_webhook', 'resend_events', array['select'], 'svix_id'),
    ('leadwire_resend_webhook', 'email_suppressions', array['insert'], null),
    ('leadwire_resend_webhook', 'email_suppressions', array['select'], 'address'),
    ('leadwire_resend_webhook', 'lead_activities', array['select', 'insert'], null),
    -- lead-action: the lead's reference and first name, the tapping staff member's name, the
    -- action recorded once per link.
    ('leadwire_staff_links', 'leads', array['select'], 'id, reference_number, first_name'),
    ('leadwire_staff_links', 'staff_members', array['select'], 'id, full_name'),
    ('leadwire_staff_links', 'lead_activities', array['select', 'insert'], null)
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

-- health reads no table: its figures come from the security_invoker views, and one of them
-- (notification_metrics_24h) joins leads for the seconds to provider. This function reads
-- them with the owner's rights and returns counts, times and the few held recipients the
-- health answer masks, so the monitor's role needs no grant on leads, the outbox or settings.
create function public.health_snapshot(held_reason text)
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
        'failures_in_a_row', p.failures_in_a_row) order by p.provider), '[]')
      from public.provider_health p),
    'held', (select jsonb_build_object(
        'count', (select count(*) from public.notifications_outbox
                  where status = 'deferred' and status_reason = held_reason),
        'recipients', coalesce((select jsonb_agg(o.recipient order by o.id) from (
          select id, recipient from public.notifications_outbox
          where status = 'deferred' and status_reason = held_reason
          order by id limit 5) o), '[]'))),
    'per_hour', (select first_texts_per_hour from public.business_settings)
  )
$$;
comment on function public.health_snapshot(text) is
  'The health answer''s figures (outbox depth, 24 h success rates, providers, texts held for held_reason, the hourly first-text limit) with the owner''s rights: what the health function''s role may read instead of the tables. No lead data but the first five held recipients, which the function masks.';
revoke all on function public.health_snapshot(text) from public, anon, authenticated;
grant execute on function public.health_snapshot(text) to leadwire_monitor, leadwire_engine,
  service_role;

-- Views the engine and the Twilio webhook read (security_invoker: their tables' grants apply).
grant select on public.sms_consent_status to leadwire_engine, leadwire_twilio_webhook;

-- The outbox's and rate limiter's functions are security invoker (the caller's grants above
-- apply) and revoked from PUBLIC; the senders call them.
grant execute on function
  public.claim_outbox_messages, public.dead_letter_expired, public.release_outbox_claims,
  public.renew_outbox_leases, public.take_provider_slot, public.pause_provider,
  public.release_provider_slot
  to leadwire_engine, leadwire_twilio_webhook;
grant execute on function public.appointment_snapshot to leadwire_engine;
