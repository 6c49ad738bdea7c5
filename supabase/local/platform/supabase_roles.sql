-- Supabase's roles and schemas, for a plain PostgreSQL that is not a Supabase project.
-- On hosted Supabase all of this exists already; every statement here is "if absent".
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin login superuser createdb createrole replication bypassrls password 'postgres';
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
grant usage on schema public to anon, authenticated, service_role;

-- Supabase's auth helpers, enough for policies that name auth.uid() / auth.role().
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;
create or replace function auth.uid() returns uuid
  language sql stable
  as $$ select nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
create or replace function auth.role() returns text
  language sql stable
  as $$ select nullif(current_setting('request.jwt.claim.role', true), '')::text $$;

-- Supabase grants the API roles everything in public by default and lets RLS decide.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- Supabase preinstalls plpgsql_check for `supabase db lint`, in `extensions`: in public its
-- functions would be the API roles' to call (a cluster made before this moves it there).
do $$
begin
  if exists (select from pg_extension e join pg_namespace n on n.oid = e.extnamespace
             where e.extname = 'plpgsql_check' and n.nspname <> 'extensions') then
    drop extension plpgsql_check;
  end if;
end
$$;
create extension if not exists plpgsql_check with schema extensions;
-- As Supabase's postgres role has it: extensions' functions found without their schema.
alter role postgres set search_path = "$user", public, extensions;
