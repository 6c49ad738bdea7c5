-- An admin may correct a lead's zone in the dashboard (a customer who wrote their work ZIP):
-- the zones are checked when they change, so a typo is refused with the database's own
-- message ('time zone "America/Denvr" not recognized') instead of failing every plan and
-- reminder of that lead later.
create or replace function public.leads_zone_from_address()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  -- Runs after leads_reject_malformed (BEFORE triggers run by name): zip and state are trimmed.
  if tg_op = 'INSERT' or new.zip is distinct from old.zip or new.state is distinct from old.state
  then
    select z.time_zone, z.also_time_zones into new.time_zone, new.also_time_zones
    from public.time_zones_for_address(new.zip, new.state) z;
  elsif new.time_zone is distinct from old.time_zone
    or new.also_time_zones is distinct from old.also_time_zones
  then
    perform now() at time zone zone
    from unnest(array[new.time_zone] || coalesce(new.also_time_zones, '{}')) zone;
  end if;
  return new;
end
$$;
comment on function public.leads_zone_from_address() is
  'Trigger: sets leads.time_zone and leads.also_time_zones from the lead''s ZIP and state (time_zones_for_address), when the lead is saved and when either changes; an admin''s own zones are checked to be ones the database knows.';
