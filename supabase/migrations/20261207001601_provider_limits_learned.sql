-- Provider limits learned from their answers (issue 23, part 2). Resend's limit was hard-coded
-- at 2 requests/s; its documented default is now 5 and a team can have it raised, and every
-- answer says which applies (ratelimit-limit). The limit a provider last stated is kept here,
-- shared by every sender of every function instance, and take_provider_slot counts against it;
-- the caller's own figure is only the assumption until the provider's first answer. A 429's
-- retry-after already pauses every sender (pause_provider).

create table public.provider_limits (
  provider text primary key,
  per_window integer not null check (per_window > 0),
  learned_at timestamptz not null default now()
);
comment on table public.provider_limits is
  'The request limit each rate-limited provider stated in its latest answer (Resend''s ratelimit-limit), per the window its senders count in (1 s for Resend). take_provider_slot uses it instead of the sender''s assumed figure. Delete a row to go back to the assumption until the next answer.';
comment on column public.provider_limits.per_window is 'Requests the provider allows per window, as it last said.';
comment on column public.provider_limits.learned_at is 'When a sender first saw this limit in an answer.';

alter table public.provider_limits enable row level security;
revoke all on public.provider_limits from anon, authenticated;
grant all on public.provider_limits to service_role;

create function public.learn_provider_limit(provider_name text, per_window integer)
  returns void
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
begin
  if per_window is null or per_window < 1 then
    raise exception 'Cannot learn the limit of provider "%": % is not a number of requests per window',
      provider_name, coalesce(per_window::text, 'null');
  end if;
  insert into public.provider_limits as l (provider, per_window) values (provider_name, per_window)
  on conflict (provider) do update set per_window = excluded.per_window, learned_at = now()
    where l.per_window <> excluded.per_window;
end
$$;
comment on function public.learn_provider_limit(text, integer) is
  'Records the request limit a provider stated in an answer (Resend''s ratelimit-limit): every sender counts against it from its next call.';
revoke all on function public.learn_provider_limit(text, integer) from public, anon, authenticated;
grant execute on function public.learn_provider_limit(text, integer) to service_role;

-- As before (20261125001100), but counting against the limit the provider last stated, when
-- one is known, instead of the caller's assumption.
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
  allowed integer;
  busy integer;
  blocked timestamptz;
  next_free timestamptz;
begin
  -- One taker at a time per provider; the lock ends with the transaction.
  perform pg_advisory_xact_lock(hashtext('provider_rate_slots:' || provider_name));
  allowed := coalesce(
    (select l.per_window from public.provider_limits l where l.provider = provider_name),
    per_window);
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
  if busy < allowed then
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
  'Takes a slot for one call to a rate-limited provider if fewer than its limit (as it last stated in provider_limits, else per_window) were made in the last window_ms, counting calls still on the wire; otherwise returns how long to wait. Shared by every sender; a pause (pause_provider) holds everyone back.';

-- Twilio states no limit, but refuses an account's requests past its concurrency with 429 /
-- 20429. Its senders take no slot per text (a text is one call and Twilio queues the rest);
-- they read the pause once per batch instead, so one sender's 429 holds back every other.
create function public.provider_pause_ms(provider_name text)
  returns integer
  language sql
  stable
  security invoker
  set search_path = ''
as $$
  select coalesce(ceil(extract(epoch from max(s.blocked_until) - clock_timestamp()) * 1000)::integer, 0)
  from public.provider_rate_slots s
  where s.provider = provider_name and s.blocked_until > clock_timestamp()
$$;
comment on function public.provider_pause_ms(text) is
  'Milliseconds until nobody is asked to hold back from calling the provider (its latest 429''s pause, pause_provider); 0 when none holds.';
revoke all on function public.provider_pause_ms(text) from public, anon, authenticated;
grant execute on function public.provider_pause_ms(text) to service_role;
