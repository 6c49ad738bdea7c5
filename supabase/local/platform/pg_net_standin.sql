-- A stand-in for the pg_net extension, installed only where pg_net is not available.
-- Same SQL surface as pg_net 0.x: net.http_post / net.http_get queue a request in the UNLOGGED
-- table net.http_request_queue and return its id; a worker outside the database
-- (supabase/local/pg_net_worker.ts) sends it after the transaction commits and writes the
-- outcome to net._http_response. Because the worker reads only committed rows, a rolled-back
-- transaction never sends anything: the same guarantee pg_net gives.
create schema if not exists net;
comment on schema net is 'leadwire local stand-in for pg_net (see supabase/local/platform/pg_net_standin.sql)';

do $$ begin
  create type net.http_method as enum ('GET', 'POST', 'DELETE');
exception when duplicate_object then null;
end $$;

create unlogged table if not exists net.http_request_queue (
  id bigserial primary key,
  method net.http_method not null,
  url text not null,
  headers jsonb not null,
  body bytea,
  timeout_milliseconds integer not null
);

create unlogged table if not exists net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default now()
);
create index if not exists _http_response_created_idx on net._http_response (created);

-- Appends params as a query string, as pg_net does.
create or replace function net._url_with_params(url text, params jsonb)
  returns text
  language sql immutable
  set search_path = ''
as $$
  select case when params is null or params = '{}'::jsonb then url
    else url || case when position('?' in url) > 0 then '&' else '?' end || (
      select string_agg(key || '=' || value, '&') from jsonb_each_text(params)
    ) end
$$;

-- Queues one request and wakes the worker. NOTIFY is delivered only when the transaction
-- commits: the worker is never woken for a request that may still roll back.
create or replace function net._enqueue(
  method net.http_method, url text, headers jsonb, body bytea, timeout_milliseconds integer
) returns bigint
  language plpgsql volatile security definer
  set search_path = ''
as $$
declare
  request_id bigint;
begin
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values (method, url, headers, body, timeout_milliseconds)
  returning id into request_id;
  perform pg_notify('net_http_request_queue', request_id::text);
  return request_id;
end
$$;

create or replace function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
  language sql volatile security definer
  set search_path = ''
as $$
  select net._enqueue('POST', net._url_with_params(url, params), headers,
                      convert_to(coalesce(body, '{}'::jsonb)::text, 'UTF8'), timeout_milliseconds)
$$;

create or replace function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
  language sql volatile security definer
  set search_path = ''
as $$
  select net._enqueue('GET', net._url_with_params(url, params), headers, null, timeout_milliseconds)
$$;

revoke all on schema net from public;
grant usage on schema net to postgres, service_role;
grant execute on all functions in schema net to postgres, service_role;
