-- Who a refused form came from, as the request's trusted hop says, and a cap on how often one
-- address is logged.
--
-- The left-most X-Forwarded-For entry is whatever the client wrote. Hosted Supabase is reached
-- through Cloudflare, which sets CF-Connecting-IP to the address that connected to it and
-- overwrites any the client sent; without it (the local stack, a self-hosted proxy) the
-- X-Forwarded-For the proxy wrote is all there is. And a script refused over and over would
-- fill form_refusals: past REFUSALS_LOGGED_PER_HOUR from one address in an hour, a refusal is
-- still refused, but not logged again.

create function public.request_client_ip()
  returns text
  language sql
  stable
  set search_path = ''
as $$
  select left(coalesce(
    nullif(trim(h ->> 'cf-connecting-ip'), ''),
    nullif(trim(split_part(h ->> 'x-forwarded-for', ',', 1)), '')), 64)
  from (select coalesce(current_setting('request.headers', true), '{}')::jsonb as h) r
$$;
comment on function public.request_client_ip() is
  'The client address of the current API request: Cloudflare''s CF-Connecting-IP on hosted Supabase (the client cannot set it), else the first X-Forwarded-For entry (the local stack). Null outside a request.';

create function public.form_refusals_from_trusted_hop()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
declare
  refusals_logged_per_hour constant integer := 20;
begin
  -- submit_lead writes the row; the address is set here, by one rule, whatever it passed.
  new.client_ip := public.request_client_ip();
  if new.client_ip is null then
    return new;
  end if;
  -- One address at a time, so concurrent refusals cannot all pass the count.
  perform pg_advisory_xact_lock(hashtext('form_refusals:' || new.client_ip));
  if (select count(*) from public.form_refusals r
      where r.client_ip = new.client_ip and r.created_at > now() - interval '1 hour')
     >= refusals_logged_per_hour then
    return null;
  end if;
  return new;
end
$$;
comment on function public.form_refusals_from_trusted_hop() is
  'Trigger: a refused form''s client address from the trusted hop (request_client_ip), and no more than 20 refusals logged per address per hour (the form is refused either way).';

create trigger form_refusals_from_trusted_hop
  before insert on public.form_refusals
  for each row execute function public.form_refusals_from_trusted_hop();
create index form_refusals_client_ip_idx on public.form_refusals (client_ip, created_at desc);

revoke execute on function public.request_client_ip() from public, anon, authenticated;
revoke execute on function public.form_refusals_from_trusted_hop() from public, anon, authenticated;
grant execute on function public.request_client_ip() to service_role;
