-- An opt-out stands until the phone itself opts in again.
--
-- Anyone can type anyone's number into a form: a ticked consent box on a later form (or a
-- direct insert, or an opt-in recorded by hand) must not undo a phone's STOP, its free-worded
-- opt-out or the carrier's 21610. Only the phone's own START (UNSTOP, YES) lifts it. The
-- ledger keeps every event as before (a later form's opt-in is still that lead's consent on
-- record); the status reads it with this rule:
--
--   opt_out (keyword, provider, staff)  ──▶ opted out
--   opted out  ── opt_in from a form or by hand ──▶ still opted out
--   opted out  ── START from the phone (sms_keyword opt_in) ──▶ the latest event decides again

create or replace view public.sms_consent_status
  with (security_invoker = true)
as
  with latest as (
    select distinct on (e.phone_e164) e.phone_e164, e.event, e.source, e.created_at
    from public.sms_consent_events e
    order by e.phone_e164, e.created_at desc, e.id desc
  ), standing_opt_out as (
    -- The phone's latest opt-out that no START from the phone has lifted since.
    select distinct on (o.phone_e164) o.phone_e164, o.source, o.created_at
    from public.sms_consent_events o
    where o.event = 'opt_out'
      and not exists (
        select from public.sms_consent_events k
        where k.phone_e164 = o.phone_e164 and k.event = 'opt_in' and k.source = 'sms_keyword'
          and (k.created_at, k.id) > (o.created_at, o.id))
    order by o.phone_e164, o.created_at desc, o.id desc
  )
  select
    l.phone_e164,
    l.event = 'opt_in' and s.phone_e164 is null as may_text,
    case when s.phone_e164 is null then l.event else 'opt_out' end as last_event,
    coalesce(s.source, l.source) as last_source,
    coalesce(s.created_at, l.created_at) as changed_at
  from latest l
    left join standing_opt_out s on s.phone_e164 = l.phone_e164;
comment on view public.sms_consent_status is
  'Current SMS consent per phone number: the latest ledger event, except that an opt-out stands until the phone itself replies START (a form, a direct insert or an opt-in by hand does not lift it).';
comment on column public.sms_consent_status.last_event is
  'opt_out while an opt-out stands (even if a form ticked the box since); otherwise the latest event.';
comment on table public.sms_consent_events is
  'Append-only ledger of SMS consent per phone number (TCPA audit trail). sms_consent_status reads it: the latest event wins, except that an opt-out stands until the phone replies START.';
