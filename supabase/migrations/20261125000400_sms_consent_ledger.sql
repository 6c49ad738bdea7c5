-- The SMS consent ledger: one row per consent event for a phone number.
--
-- Consent belongs to a phone, not a lead: a STOP from +17209187465 stops every message to
-- that number, whichever lead it came from, until the same number opts in again (START, or
-- ticking the consent box on a new form). The ledger is append-only so an audit can show
-- when and how each change happened; sms_consent_status gives the latest word per phone.

create table public.sms_consent_events (
  id bigint generated always as identity primary key,
  phone_e164 text not null check (phone_e164 ~ '^\+[1-9][0-9]{7,14}$'),
  event text not null check (event in ('opt_in', 'opt_out')),
  source text not null check (source in ('web_form', 'sms_keyword', 'staff', 'provider')),
  detail text,
  lead_id uuid references public.leads (id) on delete set null,
  created_at timestamptz not null default now()
);
comment on table public.sms_consent_events is
  'Append-only ledger of SMS consent per phone number (TCPA audit trail). Latest event wins.';
comment on column public.sms_consent_events.source is
  'web_form (consent box), sms_keyword (STOP/START reply), staff (recorded by hand), provider (Twilio reported the number unsubscribed, error 21610).';
comment on column public.sms_consent_events.detail is 'The keyword received, or the consent wording shown.';
create index sms_consent_events_phone_idx on public.sms_consent_events (phone_e164, created_at desc, id desc);

create view public.sms_consent_status
  with (security_invoker = true)
as
  select distinct on (phone_e164)
    phone_e164,
    event = 'opt_in' as may_text,
    event as last_event,
    source as last_source,
    created_at as changed_at
  from public.sms_consent_events
  order by phone_e164, created_at desc, id desc;
comment on view public.sms_consent_status is 'Current SMS consent per phone number: the latest ledger event.';

-- A lead submitted with the consent box ticked is an opt-in for that phone.
create or replace function public.leads_record_sms_consent()
  returns trigger
  language plpgsql
  security definer
  set search_path = ''
as $$
begin
  if new.sms_consent then
    insert into public.sms_consent_events (phone_e164, event, source, detail, lead_id)
    values (new.phone_e164, 'opt_in', 'web_form', new.sms_consent_text, new.id);
  end if;
  return null;
end
$$;
comment on function public.leads_record_sms_consent() is
  'Trigger: writes the web-form opt-in of a new lead to the consent ledger. Security definer because a form may not write the ledger itself.';
revoke all on function public.leads_record_sms_consent() from public, anon, authenticated;

create trigger leads_record_sms_consent
  after insert on public.leads
  for each row execute function public.leads_record_sms_consent();

alter table public.sms_consent_events enable row level security;
revoke all on public.sms_consent_events, public.sms_consent_status from anon, authenticated;
grant all on public.sms_consent_events to service_role;
grant select on public.sms_consent_status to service_role;
