-- The outbox's column comments as the machine now works (the first ones predate batches,
-- leases with tokens, in-doubt sends, the first-text guard and replay_dead_letters()).

comment on table public.notifications_outbox is
  'One row per intended message (email, SMS, webhook). Admin view of what was sent, what is waiting, and what failed. Send dead rows again with select public.replay_dead_letters(…) (docs/operations.md, "dead_letters").';
comment on column public.notifications_outbox.key is
  'Unique message key, e.g. <lead id>:customer_confirmation_email. An email sent on its own goes under it as Resend''s Idempotency-Key; a batch goes under a key of its members (send_ref).';
comment on column public.notifications_outbox.status is
  'pending (due at next_attempt_at) → sending (claimed under lease_token until lease_until) → sent; retry (failed, due again at next_attempt_at); deferred (held: until next_attempt_at for SMS quiet hours, until an admin releases it for the first-text guard; see status_reason); dead (gave up: see last_error); suppressed (not sent and never will be: see status_reason). A sending row whose lease ran out is claimed again, looked up at the provider first when in_doubt_since is set.';
comment on column public.notifications_outbox.next_attempt_at is
  'Not claimed before this time (backoff, Retry-After, quiet hours).';
