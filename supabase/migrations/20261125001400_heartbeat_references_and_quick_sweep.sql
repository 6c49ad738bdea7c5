-- Three fixes found by the reminders benchmark (10,000 appointments at once).
--
-- 1. The heartbeat and the outcome statement deadlocked. A live sender renews its leases
--    every 5 s with one UPDATE over all its rows, while its answers are recorded with another
--    UPDATE over some of the same rows, in another order: PostgreSQL saw a deadlock 1 to 6
--    times a run, and when the outcome side lost, the drain stopped until the next sweep. A
--    row being recorded right now needs no renewal (its outcome ends the lease), so the
--    heartbeat now skips rows another transaction holds.
--
-- 2. Reference numbers repeated after the 9,999th lead: lpad() cuts a longer running number
--    to four digits (10000 → "1000"), and the unique constraint refused the lead. The running
--    number now keeps all its digits, and at least four.
--
-- 3. pg_net takes no new request while one of its batch is unanswered, and the sweep answered
--    only when its drain was done (up to half a minute while retries were due): new leads'
--    webhooks waited behind it. pg_cron now asks the sweep to answer once it has planned,
--    and to send in the background.

create or replace function public.renew_outbox_leases(tokens uuid[], lease_seconds integer)
  returns integer
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  with held as (
    select o.id from public.notifications_outbox o
    where o.status = 'sending' and o.lease_token = any (tokens)
    for update skip locked
  ), renewed as (
    update public.notifications_outbox o
    set lease_until = now() + make_interval(secs => lease_seconds)
    from held where o.id = held.id
    returning 1
  )
  select count(*)::integer from renewed
$$;
comment on function public.renew_outbox_leases(uuid[], integer) is
  'Heartbeat of a live sender: extends the leases of the rows its claims (tokens) still hold, skipping rows whose outcome is being recorded. A dead sender stops renewing, and its rows come back when the short lease ends.';

create or replace function public.next_lead_reference()
  returns text
  language sql
  volatile
  security definer
  set search_path = ''
as $$
  select 'PAG-' || to_char(now() at time zone 'utc', 'YYMMDD') || '-' || lpad(n::text, greatest(4, length(n::text)), '0')
  from (select nextval('public.lead_reference_seq') as n) s
$$;
comment on function public.next_lead_reference() is
  'A reference number like PAG-261125-0042: the day the lead came in and a running number (four digits or more). Security definer so a form may create one without rights on the sequence.';

create or replace function public.request_outbox_sweep()
  returns bigint
  language sql
  volatile
  security definer
  set search_path = ''
as $$
  select public.call_function('notify-lead/sweep', '{"wait": false}'::jsonb, 55000)
$$;
