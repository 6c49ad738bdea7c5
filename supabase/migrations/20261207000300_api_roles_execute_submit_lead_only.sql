-- What a caller with the public anon key (or a signed-in user) may execute: submit_lead, and
-- nothing else in public.
--
-- Supabase grants the API roles EXECUTE on every new function in public (and PostgreSQL grants
-- PUBLIC the same), so every helper was reachable through PostgREST's /rpc: next_lead_reference()
-- burned reference numbers and told anyone the lead volume. The lead's reference now comes
-- from a trigger (a default runs with the inserting role's rights; a trigger function is not
-- checked), so a form's direct insert needs no function of its own; submit_lead is a security
-- definer and needs none either. Functions created later get no EXECUTE for these roles.

create function public.leads_assign_reference()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  new.reference_number := coalesce(new.reference_number, public.next_lead_reference());
  return new;
end
$$;
comment on function public.leads_assign_reference() is
  'Trigger: gives a new lead its reference number (PAG-YYMMDD-NNNN) unless one was set.';

-- Fired before leads_reject_malformed and leads_touch_updated_at (BEFORE triggers run by name).
create trigger leads_assign_reference
  before insert on public.leads
  for each row execute function public.leads_assign_reference();
alter table public.leads alter column reference_number drop default;

revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
grant execute on function public.submit_lead(text, text, timestamptz, text, text, text, text, integer, text, text, boolean, date, text, text, text, text, text, boolean, text, text)
  to anon, authenticated;

alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
