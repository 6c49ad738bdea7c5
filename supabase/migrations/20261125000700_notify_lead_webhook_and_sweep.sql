-- The fast path and the safety net for new-lead notifications.
--
-- Fast path: a database webhook. After a lead commits, pg_net posts the standard webhook
-- payload to the notify-lead function with our shared secret. pg_net sends only after
-- commit and never retries, and its queue is unlogged, so this path may lose a request.
--
-- Safety net: pg_cron calls notify-lead's sweep every minute. The sweep plans any lead the
-- webhook never reached (leads.notifications_planned_at is null), sends outbox rows whose
-- retry time has come, and takes back rows whose sender died. With both, a lead may be
-- late but is never missed.
--
-- The function's URL and the secret come from Vault (secrets `project_url` and
-- `notify_webhook_secret`), never from this file.

-- Reads one Vault secret by name; null when absent.
create or replace function public.vault_secret(secret_name text)
  returns text
  language sql
  stable
  security definer
  set search_path = ''
as $$
  select decrypted_secret from vault.decrypted_secrets where name = secret_name limit 1
$$;
comment on function public.vault_secret(text) is 'A Vault secret by name, for the webhook and cron calls. Not callable by the API roles.';
revoke all on function public.vault_secret(text) from public, anon, authenticated, service_role;

-- Queues a POST to one of our functions with the shared secret. Returns the pg_net request id.
create or replace function public.call_function(path text, payload jsonb, timeout_ms integer default 10000)
  returns bigint
  language plpgsql
  volatile
  security definer
  set search_path = ''
as $$
declare
  base_url text := public.vault_secret('project_url');
  secret text := public.vault_secret('notify_webhook_secret');
begin
  if base_url is null or secret is null then
    raise exception 'Vault secrets project_url and notify_webhook_secret must be set to call functions'
      using hint = 'select vault.create_secret(''https://<ref>.supabase.co'', ''project_url''); select vault.create_secret(''<secret>'', ''notify_webhook_secret'');';
  end if;
  return net.http_post(
    url := base_url || '/functions/v1/' || path,
    body := payload,
    headers := jsonb_build_object('Content-Type', 'application/json', 'x-webhook-secret', secret),
    timeout_milliseconds := timeout_ms
  );
end
$$;
comment on function public.call_function(text, jsonb, integer) is
  'Queues an authenticated POST to /functions/v1/<path> through pg_net (sent after commit).';
revoke all on function public.call_function(text, jsonb, integer) from public, anon, authenticated, service_role;

-- The database webhook on leads. It must never make the insert fail: whatever goes wrong
-- here, the lead is saved and the sweep will plan it.
create or replace function public.leads_notify_webhook()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  begin
    perform public.call_function('notify-lead', jsonb_build_object(
      'type', tg_op,
      'table', tg_table_name,
      'schema', tg_table_schema,
      'record', to_jsonb(new),
      'old_record', null
    ));
  exception when others then
    raise warning 'notify-lead webhook for lead % was not queued (%); the sweep will plan it', new.id, sqlerrm;
  end;
  return null;
end
$$;
comment on function public.leads_notify_webhook() is
  'Trigger (database webhook): after a lead is inserted, asks notify-lead to plan and send its messages. Never fails the insert.';
revoke all on function public.leads_notify_webhook() from public, anon, authenticated;

create trigger leads_notify_webhook
  after insert on public.leads
  for each row execute function public.leads_notify_webhook();

-- What pg_cron runs every minute.
create or replace function public.request_outbox_sweep()
  returns bigint
  language sql
  volatile
  security definer
  set search_path = ''
as $$
  select public.call_function('notify-lead/sweep', '{}'::jsonb, 55000)
$$;
comment on function public.request_outbox_sweep() is
  'Asks notify-lead to sweep: plan leads the webhook missed, send due retries, reclaim expired leases.';
revoke all on function public.request_outbox_sweep() from public, anon, authenticated;

select cron.schedule('leadwire-outbox-sweep', '* * * * *', 'select public.request_outbox_sweep()');
