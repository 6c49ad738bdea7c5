-- Platform pieces the schema stands on.
--
-- pg_cron runs the outbox sweep (every minute). pg_net (database webhooks) and Vault
-- (the secrets those webhooks send) are preinstalled on hosted Supabase; the local stack
-- installs same-surface stand-ins before migrations run (supabase/local/platform/). If
-- either is missing we stop here with a message saying what to do, rather than fail later
-- in a trigger.
create extension if not exists pg_cron with schema pg_catalog;

do $$
begin
  if not exists (select from pg_namespace where nspname = 'net') then
    if exists (select from pg_available_extensions where name = 'pg_net') then
      create extension if not exists pg_net with schema extensions;
    else
      raise exception 'pg_net is missing'
        using hint = 'On hosted Supabase enable the pg_net extension; locally run `npm start`, which installs a stand-in.';
    end if;
  end if;
  if not exists (select from pg_namespace where nspname = 'vault') then
    if exists (select from pg_available_extensions where name = 'supabase_vault') then
      create extension if not exists supabase_vault with schema vault;
    else
      raise exception 'Supabase Vault is missing'
        using hint = 'On hosted Supabase it is preinstalled; locally run `npm start`, which installs a stand-in.';
    end if;
  end if;
end
$$;

-- Keeps updated_at honest on every table that has one.
create or replace function public.touch_updated_at()
  returns trigger
  language plpgsql
  security invoker
  set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;
comment on function public.touch_updated_at() is 'Trigger: sets updated_at to now() on every update.';
