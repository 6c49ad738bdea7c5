-- One database webhook function for notify-lead.
--
-- The webhook on leads (new lead) and the one on lead_activities (appointment scheduled or
-- cancelled) posted the same standard payload with the same safety net; they now share one
-- trigger function. Which rows call it is still each trigger's own business: every new lead,
-- and only the two appointment activity types, so the functions' own log rows never loop.

create or replace function public.notify_lead_webhook()
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
    raise warning 'notify-lead webhook for % row % was not queued (%); the sweep will plan it',
      tg_table_name, new.id, sqlerrm;
  end;
  return null;
end
$$;
comment on function public.notify_lead_webhook() is
  'Trigger (database webhook): posts the inserted row to notify-lead through pg_net (sent after commit). Never fails the insert: a request that cannot be queued is planned by the sweep.';
revoke all on function public.notify_lead_webhook() from public, anon, authenticated;

drop trigger leads_notify_webhook on public.leads;
create trigger leads_notify_webhook
  after insert on public.leads
  for each row execute function public.notify_lead_webhook();

drop trigger lead_activities_notify_webhook on public.lead_activities;
create trigger lead_activities_notify_webhook
  after insert on public.lead_activities
  for each row
  when (new.activity_type in ('appointment_scheduled', 'appointment_cancelled'))
  execute function public.notify_lead_webhook();

drop function public.leads_notify_webhook();
drop function public.lead_activities_notify_webhook();
