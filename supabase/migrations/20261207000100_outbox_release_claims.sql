-- A sender that is about to end hands back what it claimed and never put on the wire.
--
-- An edge worker gets `beforeunload` before the runtime ends it (retired and idle, or near its
-- CPU, memory or wall-clock limit). Rows it claimed but has not marked on the wire were never
-- sent: they go back at once, instead of waiting out their lease (20 s) in a worker that is
-- gone. A fresh row becomes pending again, its claim not counted as an attempt; a row that was
-- already in doubt (an earlier attempt's answer never came) stays in doubt, its lease ended, so
-- the next claim looks it up at the provider as before.
--
--   sending (lease_token = T, not on the wire) ──release with T──▶ pending        (fresh)
--                                                                ─▶ sending, lease over (in doubt)

create function public.release_outbox_claims(ids bigint[], tokens uuid[])
  returns setof bigint
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  update public.notifications_outbox o
  set status = case when o.in_doubt_since is null then 'pending' else o.status end,
      attempts = case when o.in_doubt_since is null then greatest(o.attempts - 1, 0)
                      else o.attempts end,
      next_attempt_at = case when o.in_doubt_since is null then now() else o.next_attempt_at end,
      lease_until = case when o.in_doubt_since is null then null else now() end,
      lease_token = null
  where o.id = any (ids)
    and o.status = 'sending'
    and o.lease_token = any (tokens)
  returning o.id
$$;
comment on function public.release_outbox_claims(bigint[], uuid[]) is
  'Hands back claimed outbox rows that were never put on the wire (a sender about to end): fresh rows become pending again without the attempt, rows in doubt keep their doubt with their lease ended. Only the holder of the lease token can release.';
revoke all on function public.release_outbox_claims(bigint[], uuid[]) from public, anon, authenticated;
grant execute on function public.release_outbox_claims(bigint[], uuid[]) to service_role;
