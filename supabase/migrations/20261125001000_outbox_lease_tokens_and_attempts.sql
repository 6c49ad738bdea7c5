-- Leases with owners, and the history of every attempt.
--
-- A claim now hands its rows a lease token (like graphile-worker's locked_by). An outcome
-- (sent, retry, dead, suppressed, deferred) is written only by the token's holder: a sender
-- whose lease ran out while its provider was slow, or whose process was paused, finds the row
-- re-claimed by another sender and changes nothing. Its late answer is still kept, in
-- notification_attempts, so an admin can see that a message was tried twice and by whom.
--
--   claim ──token T──▶ sending (lease_token = T) ──outcome with T──▶ sent / retry / dead / …
--                          └─lease expired──▶ claimed again with token U: outcomes with T are refused

alter table public.notifications_outbox add column lease_token uuid;
comment on column public.notifications_outbox.lease_token is
  'While sending: the token of the claim that holds the lease. Only its holder may record the outcome.';

-- The claim takes the caller's token; the old three-argument form is replaced.
drop function public.claim_outbox_messages(integer, integer, text[]);

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
  update public.notifications_outbox o
  set status = 'sending',
      attempts = o.attempts + 1,
      lease_until = now() + make_interval(secs => lease_seconds),
      lease_token = token
  where o.id in (
    select c.id
    from public.notifications_outbox c
    where ((c.status in ('pending', 'retry', 'deferred') and c.next_attempt_at <= now())
        or (c.status = 'sending' and c.lease_until < now() and c.attempts < c.max_attempts))
      and (only_keys is null or c.key = any (only_keys))
    order by c.rank, c.next_attempt_at, c.id
    limit batch_size
    for update skip locked
  )
  returning o.*
$$;
comment on function public.claim_outbox_messages(integer, integer, uuid, text[]) is
  'Claims due outbox rows (for update skip locked), leasing them to the caller''s token: lowest rank first, then oldest. only_keys narrows the claim to the given message keys (an admin draining chosen rows; tests isolating theirs).';
revoke all on function public.claim_outbox_messages(integer, integer, uuid, text[]) from public, anon, authenticated;
grant execute on function public.claim_outbox_messages(integer, integer, uuid, text[]) to service_role;

create or replace function public.dead_letter_expired()
  returns setof public.notifications_outbox
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  update public.notifications_outbox
  set status = 'dead',
      lease_until = null,
      lease_token = null,
      last_error = coalesce(last_error || '; ', '') || 'lease expired on the last attempt'
  where status = 'sending' and lease_until < now() and attempts >= max_attempts
  returning *
$$;

create table public.notification_attempts (
  id bigint generated always as identity primary key,
  outbox_id bigint not null references public.notifications_outbox (id) on delete cascade,
  attempt integer not null,
  lease_token uuid,
  outcome text not null check (outcome in ('sent', 'retry', 'dead', 'suppressed', 'deferred')),
  lease_lost boolean not null default false,
  provider_message_id text,
  error text,
  created_at timestamptz not null default now()
);
comment on table public.notification_attempts is
  'Every attempt at a message and how it ended, newest last. Two sent rows for one message mean it went twice; lease_lost marks an answer that came after another sender had taken the message over.';
comment on column public.notification_attempts.outcome is 'What the attempt decided: sent, retry, dead, suppressed or deferred.';
comment on column public.notification_attempts.lease_lost is
  'The sender''s lease had run out and another sender held the message: this outcome was not applied to it.';
comment on column public.notification_attempts.error is 'The provider''s error, or the reason it was held back.';

create index notification_attempts_outbox_idx on public.notification_attempts (outbox_id, id);

alter table public.notification_attempts enable row level security;
revoke all on public.notification_attempts from anon, authenticated;
grant all on public.notification_attempts to service_role;
