-- Exactly once under crashes: a message whose fate is unknown is looked up, never blindly resent.
--
-- A sender can die (or lose its connection, or time out) after the provider accepted a message
-- but before the outcome was recorded. Sending it again would make the customer hear it twice,
-- so such a message is "in doubt" until the provider has been asked:
--
--   claim ──▶ sending ──answer──▶ sent / retry / dead …          (nothing in doubt)
--               ├──no answer (timeout, dropped connection)──▶ retry, in doubt
--               └──lease ran out (the sender died)──────────▶ claimed again, in doubt
--   in doubt ──▶ the sender asks the provider first:
--               SMS:   Twilio's message list for that phone and body → found: sent, nothing sent
--               email: the same batch again under the same Idempotency-Key → Resend replays it
--
-- Leases are short (the slowest provider call, plus margin) and a live sender renews them
-- while it works, so a dead sender's messages come back within seconds, not a minute.

alter table public.notifications_outbox
  add column claimed_at timestamptz,
  add column in_doubt_since timestamptz,
  add column send_ref text;
comment on column public.notifications_outbox.claimed_at is
  'When the current (or last) attempt was claimed.';
comment on column public.notifications_outbox.in_doubt_since is
  'Set when an attempt ended without an answer (the sender died, timed out or lost its connection): the provider may have accepted the message, so it is looked up there before anything is sent again. The attempt''s claim time bounds the lookup.';
comment on column public.notifications_outbox.send_ref is
  'What the provider knows the last call by, recorded before the call: for a Resend batch, its Idempotency-Key. An email in doubt goes again in the same batch under the same key, so Resend replays it instead of sending it twice.';

create index notifications_outbox_send_ref_idx on public.notifications_outbox (send_ref)
  where send_ref is not null and status <> 'sent';

-- The claim marks rows taken over from a dead sender as in doubt, and takes the members of an
-- in-doubt batch together, so the batch can be sent again whole under its key.
drop function public.claim_outbox_messages(integer, integer, uuid, text[]);

create function public.claim_outbox_messages(
  batch_size integer,
  lease_seconds integer,
  token uuid,
  only_keys text[] default null
) returns setof public.notifications_outbox
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  with picked as (
    select c.id, c.send_ref, c.in_doubt_since, c.status
    from public.notifications_outbox c
    where ((c.status in ('pending', 'retry', 'deferred') and c.next_attempt_at <= now())
        or (c.status = 'sending' and c.lease_until < now() and c.attempts < c.max_attempts))
      and (only_keys is null or c.key = any (only_keys))
    order by c.rank, c.next_attempt_at, c.id
    limit batch_size
    for update skip locked
  ), batch_mates as (
    -- Waiting members of the same in-doubt batch, due or not: they go again together.
    select c.id
    from public.notifications_outbox c
    where c.send_ref in (select p.send_ref from picked p
                         where p.in_doubt_since is not null or p.status = 'sending')
      and c.id not in (select p.id from picked p)
      and (c.status in ('pending', 'retry', 'deferred')
        or (c.status = 'sending' and c.lease_until < now() and c.attempts < c.max_attempts))
    for update skip locked
  )
  update public.notifications_outbox o
  set in_doubt_since = case when o.status = 'sending'
                            then coalesce(o.in_doubt_since, o.claimed_at, now())
                            else o.in_doubt_since end,
      status = 'sending',
      attempts = o.attempts + 1,
      claimed_at = now(),
      lease_until = now() + make_interval(secs => lease_seconds),
      lease_token = token
  where o.id in (select id from picked union all select id from batch_mates)
  returning o.*
$$;
comment on function public.claim_outbox_messages(integer, integer, uuid, text[]) is
  'Claims due outbox rows (for update skip locked), leasing them to the caller''s token: lowest rank first, then oldest. A row taken over from a sender whose lease ran out is marked in doubt; the other members of an in-doubt batch come with it. only_keys narrows the claim to the given message keys.';
revoke all on function public.claim_outbox_messages(integer, integer, uuid, text[]) from public, anon, authenticated;
grant execute on function public.claim_outbox_messages(integer, integer, uuid, text[]) to service_role;

-- The heartbeat: a live sender renews the leases it still holds.
create function public.renew_outbox_leases(tokens uuid[], lease_seconds integer)
  returns integer
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  with renewed as (
    update public.notifications_outbox
    set lease_until = now() + make_interval(secs => lease_seconds)
    where status = 'sending' and lease_token = any (tokens)
    returning 1
  )
  select count(*)::integer from renewed
$$;
comment on function public.renew_outbox_leases(uuid[], integer) is
  'Heartbeat of a live sender: extends the leases of the rows its claims (tokens) still hold. A dead sender stops renewing, and its rows come back when the short lease ends.';
revoke all on function public.renew_outbox_leases(uuid[], integer) from public, anon, authenticated;
grant execute on function public.renew_outbox_leases(uuid[], integer) to service_role;

alter table public.notification_attempts add column reconciled boolean not null default false;
comment on column public.notification_attempts.reconciled is
  'The attempt sent nothing: it found at the provider that an earlier attempt, whose answer was lost, had been accepted.';

-- A rate-limit slot lost on the wire (its sender died) frees itself once the call must have
-- ended: every provider call times out after 10 s. It used to take 30 s.
create or replace function public.take_provider_slot(provider_name text, per_window integer, window_ms integer)
  returns table (slot_id bigint, wait_ms integer)
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
declare
  now_ts timestamptz := clock_timestamp();
  window_len interval := make_interval(secs => window_ms / 1000.0);
  busy integer;
  blocked timestamptz;
  next_free timestamptz;
begin
  -- One taker at a time per provider; the lock ends with the transaction.
  perform pg_advisory_xact_lock(hashtext('provider_rate_slots:' || provider_name));
  -- Forget calls answered a window ago, pauses that ended, and calls lost on the wire (12 s:
  -- the 10 s client timeout plus margin).
  delete from public.provider_rate_slots s
  where s.provider = provider_name
    and (s.answered_at < now_ts - window_len
      or s.blocked_until < now_ts
      or (s.answered_at is null and s.blocked_until is null and s.taken_at < now_ts - interval '12 seconds'));
  select max(s.blocked_until) into blocked from public.provider_rate_slots s where s.provider = provider_name;
  if blocked > now_ts then
    return query select null::bigint, ceil(extract(epoch from blocked - now_ts) * 1000)::integer;
    return;
  end if;
  select count(*), min(s.answered_at) + window_len into busy, next_free
  from public.provider_rate_slots s
  where s.provider = provider_name and s.blocked_until is null;
  if busy < per_window then
    return query insert into public.provider_rate_slots (provider, taken_at) values (provider_name, now_ts)
      returning id, 0;
    return;
  end if;
  -- Full: wait for the earliest answered call to leave the window, or poll briefly while all are on the wire.
  return query select null::bigint,
    greatest(10, coalesce(ceil(extract(epoch from next_free - now_ts) * 1000)::integer, 25));
end
$$;
