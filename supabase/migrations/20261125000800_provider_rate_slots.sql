-- Provider rate limits shared by every function instance.
--
-- Resend allows 2 requests per second per team, not per sender. Supabase runs as many
-- function instances as a burst needs, so a limit kept in one instance's memory lets the
-- others spend the same second and collect 429s. Instead each call takes a slot here first.
-- A provider counts a request when it arrives, somewhere between our sending it and its
-- answer, so a slot is held from the call until a full window after its answer.

create table public.provider_rate_slots (
  id bigint generated always as identity primary key,
  provider text not null,
  taken_at timestamptz not null default clock_timestamp(),
  answered_at timestamptz,
  blocked_until timestamptz
);
comment on table public.provider_rate_slots is
  'Recent calls to rate-limited providers (one row per call, kept a few seconds), shared by all senders. Rows with blocked_until are a provider''s "wait" (429 Retry-After).';
comment on column public.provider_rate_slots.answered_at is 'Null while the call is on the wire.';
comment on column public.provider_rate_slots.blocked_until is 'Set on a pause row: nobody calls this provider before then.';
create index provider_rate_slots_provider_idx on public.provider_rate_slots (provider, taken_at);

-- Takes a slot if one is free now (slot_id set, wait_ms 0); otherwise says how long to wait.
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
  -- Forget calls answered a window ago, pauses that ended, and calls lost on the wire (30 s).
  delete from public.provider_rate_slots s
  where s.provider = provider_name
    and (s.answered_at < now_ts - window_len
      or s.blocked_until < now_ts
      or (s.answered_at is null and s.blocked_until is null and s.taken_at < now_ts - interval '30 seconds'));
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
comment on function public.take_provider_slot(text, integer, integer) is
  'Rate limiting shared by all senders: a slot to call the provider now, or how many ms to wait.';

create or replace function public.release_provider_slot(slot bigint)
  returns void
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  update public.provider_rate_slots set answered_at = clock_timestamp() where id = slot and answered_at is null
$$;
comment on function public.release_provider_slot(bigint) is 'Marks a call answered: its slot frees a window later.';

create or replace function public.pause_provider(provider_name text, pause_ms integer)
  returns void
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  insert into public.provider_rate_slots (provider, blocked_until)
  values (provider_name, clock_timestamp() + make_interval(secs => pause_ms / 1000.0))
$$;
comment on function public.pause_provider(text, integer) is 'The provider said "too many requests": nobody calls it for pause_ms.';

alter table public.provider_rate_slots enable row level security;
revoke all on public.provider_rate_slots from anon, authenticated;
grant all on public.provider_rate_slots to service_role;
revoke all on function public.take_provider_slot(text, integer, integer) from public, anon, authenticated;
revoke all on function public.release_provider_slot(bigint) from public, anon, authenticated;
revoke all on function public.pause_provider(text, integer) from public, anon, authenticated;
grant execute on function public.take_provider_slot(text, integer, integer) to service_role;
grant execute on function public.release_provider_slot(bigint) to service_role;
grant execute on function public.pause_provider(text, integer) to service_role;
