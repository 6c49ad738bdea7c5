-- notifications_outbox: every message we intend to send, and where it stands.
--
-- A message is recorded here (insert-if-absent on its unique key) before anyone tries to
-- send it, so a crash, a lost webhook or a provider outage can delay a message but never
-- lose it, and a repeated webhook can never make it twice.
--
-- The state machine (shared/outbox/ holds the TypeScript side):
--
--   pending ──claim──▶ sending ──provider accepted──▶ sent
--                        │  ├──transient error (429, 5xx, timeout)──▶ retry ──claim──▶ sending …
--                        │  ├──permanent error, or attempts = max_attempts──▶ dead
--                        │  └──lease expired (sender died)──▶ claimed again like retry
--   pending ──no consent / opted out / invalid phone / daily cap──▶ suppressed
--   pending ──outside the recipient's SMS hours──▶ deferred ──claim at next_attempt_at──▶ sending
--
-- Claiming takes rows with `for update skip locked` and sets a lease, so any number of
-- senders may drain at once without sending a row twice.

create table public.notifications_outbox (
  id bigint generated always as identity primary key,
  key text not null unique,
  lead_id uuid references public.leads (id) on delete cascade,
  channel text not null check (channel in ('email', 'sms', 'webhook')),
  template text not null,
  recipient text,
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'pending'
    check (status in ('pending', 'sending', 'sent', 'retry', 'dead', 'suppressed', 'deferred')),
  status_reason text,
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 6 check (max_attempts > 0),
  next_attempt_at timestamptz not null default now(),
  lease_until timestamptz,
  provider_message_id text,
  delivery_status text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  sent_at timestamptz
);

comment on table public.notifications_outbox is
  'One row per intended message (email, SMS, webhook). Admin view of what was sent, what is waiting, and what failed. Replay a dead row: update it to status = ''retry'', next_attempt_at = now(), max_attempts = attempts + 1.';
comment on column public.notifications_outbox.key is
  'Unique message key, e.g. <lead id>:customer_confirmation_email. Also Resend''s Idempotency-Key.';
comment on column public.notifications_outbox.template is 'Which template the message is rendered from.';
comment on column public.notifications_outbox.recipient is 'Email address or E.164 phone the message goes to.';
comment on column public.notifications_outbox.status is
  'pending → sending → sent; retry (waiting for next_attempt_at); dead (gave up: see last_error); suppressed (not allowed: see status_reason); deferred (waiting for SMS hours).';
comment on column public.notifications_outbox.status_reason is 'Why it was suppressed or deferred (no_sms_consent, opted_out, invalid_phone, daily_cap, quiet_hours, permanent error code…).';
comment on column public.notifications_outbox.attempts is 'Send attempts so far (a claim counts as one).';
comment on column public.notifications_outbox.next_attempt_at is 'Not claimed before this time (backoff, Retry-After, quiet hours).';
comment on column public.notifications_outbox.lease_until is 'While sending: if the sender has not finished by then, it is presumed dead and the row is claimed again.';
comment on column public.notifications_outbox.provider_message_id is 'Resend email id or Twilio message SID.';
comment on column public.notifications_outbox.delivery_status is 'Latest delivery status the provider reported (delivered, undelivered, bounced…).';
comment on column public.notifications_outbox.last_error is 'The last error the provider or the network gave.';

create index notifications_outbox_due_idx on public.notifications_outbox (next_attempt_at)
  where status in ('pending', 'retry', 'deferred');
create index notifications_outbox_leased_idx on public.notifications_outbox (lease_until)
  where status = 'sending';
create index notifications_outbox_lead_idx on public.notifications_outbox (lead_id);
create index notifications_outbox_provider_id_idx on public.notifications_outbox (provider_message_id);

create trigger notifications_outbox_touch_updated_at
  before update on public.notifications_outbox
  for each row execute function public.touch_updated_at();

-- Claims up to batch_size due rows for one sender, setting a lease.
-- Due: waiting rows whose time has come, and rows whose sender's lease ran out.
-- A row whose lease ran out on its last attempt is not claimed: dead_letter_expired() ends it.
create or replace function public.claim_outbox_messages(
  batch_size integer,
  lease_seconds integer default 60,
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
      lease_until = now() + make_interval(secs => lease_seconds)
  where o.id in (
    select c.id
    from public.notifications_outbox c
    where ((c.status in ('pending', 'retry', 'deferred') and c.next_attempt_at <= now())
        or (c.status = 'sending' and c.lease_until < now() and c.attempts < c.max_attempts))
      and (only_keys is null or c.key = any (only_keys))
    order by c.next_attempt_at, c.id
    limit batch_size
    for update skip locked
  )
  returning o.*
$$;
comment on function public.claim_outbox_messages(integer, integer, text[]) is
  'Claims due outbox rows (for update skip locked) and leases them to the caller. only_keys narrows the claim to given message keys (the webhook path sends its own rows first).';

-- Rows whose sender died on their last allowed attempt: dead, for an admin to replay.
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
      last_error = coalesce(last_error || '; ', '') || 'lease expired on the last attempt'
  where status = 'sending' and lease_until < now() and attempts >= max_attempts
  returning *
$$;
comment on function public.dead_letter_expired() is 'Marks rows dead whose sender died on their last allowed attempt.';

revoke all on function public.claim_outbox_messages(integer, integer, text[]) from public, anon, authenticated;
revoke all on function public.dead_letter_expired() from public, anon, authenticated;
grant execute on function public.claim_outbox_messages(integer, integer, text[]) to service_role;
grant execute on function public.dead_letter_expired() to service_role;

alter table public.notifications_outbox enable row level security;
revoke all on public.notifications_outbox from anon, authenticated;
grant all on public.notifications_outbox to service_role;
