-- Privacy requests (issue 24, part 2): a customer may ask what we hold about them, and to be
-- forgotten. Both are one line in the dashboard's SQL editor, for an admin only:
--
--   select public.export_customer('jane@example.com');   -- everything held, as JSON
--   select public.forget_customer('(720) 918-7465');     -- removes it; says what it did
--
-- Who "the customer" is: the leads naming the email address or phone given, or the other
-- contact on those leads (the customer typed both on their own form), and every email and
-- phone on those leads. Two steps, no further.
--
-- What forgetting does, in one transaction:
--
--   their waiting messages ──▶ suppressed 'forgotten' (a sender that claimed one finds its
--                              lease gone and never puts it on the wire)
--   outbox rows, attempts    ──▶ kept as counts, emptied of who and what (recipient, payload,
--                              lead, errors naming them), so health and metrics stay true
--   leads, activities, appointments, photos, texts received, opt-ins, unreachable and
--   suppressed entries       ──▶ deleted (photos' files queued in storage_deletions)
--   opt-outs on the ledger   ──▶ kept, anonymised: the phone stays stopped
--
-- Nothing here edits storage.objects: the files are deleted through the Storage API by
-- whatever drains storage_deletions (the retention purge's queue has the same shape).

-- The retention purge's queue (20261207001100) takes forgotten customers' photos too; each
-- says why it was queued.
alter table public.storage_deletions add column reason text not null default 'retention';
comment on table public.storage_deletions is
  'Files still to delete from Supabase Storage, through its API (never by editing storage.objects): a photo of a forgotten customer, or one past retention. notify-lead''s sweep deletes them a batch a minute and removes each row once Storage confirmed; a failure waits (attempts, last_error) and is tried again.';
comment on column public.storage_deletions.reason is 'Why: forgotten (forget_customer) or retention (purge_expired_personal_data).';

-- ---------------------------------------------------------------------------------------
-- Who the request is about
-- ---------------------------------------------------------------------------------------

-- The one email or phone an admin typed, checked and normalised as forms are.
create function public.privacy_request_subject(email_or_phone text, out email text, out phone text)
  language plpgsql
  immutable
  security invoker
  set search_path = ''
as $$
declare
  given text := trim(email_or_phone);
begin
  if given is null or given = '' then
    raise exception 'Give the customer''s email address or phone number.'
      using errcode = 'invalid_parameter_value',
            hint = 'For example: select public.forget_customer(''jane@example.com''); or ''(720) 918-7465''.';
  end if;
  if position('@' in given) > 0 then
    email := lower(given);
    -- The rule leads' emails are held to (leads_reject_malformed).
    if email !~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$' then
      raise exception 'Email "%" is not a valid email address.', given
        using errcode = 'invalid_parameter_value', hint = 'For example: jane@example.com.';
    end if;
    return;
  end if;
  if given !~ '^[0-9+() .-]+$' then
    raise exception '"%" is neither an email address nor a phone number.', given
      using errcode = 'invalid_parameter_value',
            hint = 'Give one of them, e.g. jane@example.com, (720) 918-7465 or +17209187465.';
  end if;
  phone := public.normalize_phone(given);
  if phone is null or phone !~ '^\+[1-9][0-9]{7,14}$' then
    raise exception 'Phone "%" is not a phone number we can read.', given
      using errcode = 'invalid_parameter_value',
            hint = 'A US number of 10 digits, e.g. (720) 918-7465, or an international one, e.g. +447911123456.';
  end if;
end
$$;
comment on function public.privacy_request_subject(text) is
  'The email (lower case) or phone (E.164, normalised as submit_lead does) of a privacy request; refuses empty, malformed or ambiguous input with a clear error.';
revoke all on function public.privacy_request_subject(text) from public, anon, authenticated;
grant execute on function public.privacy_request_subject(text) to service_role;

-- How a contact is shown in results and logs: enough to tell two apart, not to reach them
-- (the same shape as maskPII in shared/platform/mask.ts).
create function public.mask_contact(contact text)
  returns text
  language sql
  immutable
  security invoker
  set search_path = ''
as $$
  select case
    when contact is null then null
    when position('@' in contact) > 1
      then left(contact, 1) || '***' || substr(contact, length(contact) - position('@' in reverse(contact)) + 1)
    when contact ~ '^\+1[0-9]{10}$' then '+1' || substr(contact, 3, 3) || '***' || right(contact, 4)
    when contact ~ '^\+[0-9]{8,15}$' then '+***' || right(contact, 4)
    else '***'
  end
$$;
comment on function public.mask_contact(text) is
  'Masks an email (j***@example.com) or phone (+1720***7465) as the functions'' logs do.';
revoke all on function public.mask_contact(text) from public, anon, authenticated;
grant execute on function public.mask_contact(text) to service_role;

-- The customer's leads and contacts: the leads naming the email or phone given or another
-- contact on those leads (the customer typed both on their own form), and every email and
-- phone on those leads. Two steps, no more: a stranger who typed the same shared phone on
-- another lead is not followed beyond it.
create function public.privacy_request_scope(
  email_or_phone text,
  out emails text[],
  out phones text[],
  out lead_ids uuid[]
)
  language plpgsql
  stable
  security invoker
  set search_path = ''
as $$
declare
  subject record;
begin
  select * into subject from public.privacy_request_subject(email_or_phone);
  with first_leads as (
    select lower(l.email) as email, l.phone_e164 as phone
    from public.leads l
    where lower(l.email) = subject.email or l.phone_e164 = subject.phone
  ), named as (
    select subject.email as email, subject.phone as phone
    union all
    select f.email, f.phone from first_leads f
  )
  select coalesce(array_agg(l.id order by l.created_at), '{}')
  into lead_ids
  from public.leads l
  where lower(l.email) in (select n.email from named n)
     or l.phone_e164 in (select n.phone from named n);

  select
    coalesce(array_agg(distinct c.email) filter (where c.email is not null), '{}'),
    coalesce(array_agg(distinct c.phone) filter (where c.phone is not null), '{}')
  into emails, phones
  from (
    select subject.email as email, subject.phone as phone
    union all
    select lower(l.email), l.phone_e164 from public.leads l where l.id = any (lead_ids)
  ) c;
end
$$;
comment on function public.privacy_request_scope(text) is
  'Whom a privacy request is about: the leads naming the given email or phone, or another contact on those leads, and every email and phone on them.';
revoke all on function public.privacy_request_scope(text) from public, anon, authenticated;
grant execute on function public.privacy_request_scope(text) to service_role;

-- Text with each of the customer's contacts replaced (provider errors may quote a number).
create function public.redact_contacts(t text, contacts text[])
  returns text
  language plpgsql
  immutable
  security invoker
  set search_path = ''
as $$
declare
  c text;
begin
  foreach c in array coalesce(contacts, '{}') loop
    t := regexp_replace(t, regexp_replace(c, '([.^$*+?()\[\]{}|\\-])', '\\\1', 'g'), '[forgotten]', 'gi');
  end loop;
  return t;
end
$$;
comment on function public.redact_contacts(text, text[]) is
  'The text with every occurrence of the given emails and phones (any case) replaced by [forgotten].';
revoke all on function public.redact_contacts(text, text[]) from public, anon, authenticated;
grant execute on function public.redact_contacts(text, text[]) to service_role;

-- ---------------------------------------------------------------------------------------
-- The outbox transition: waiting messages that must never go
-- ---------------------------------------------------------------------------------------

-- pending / retry / deferred / sending ──▶ suppressed (reason), lease and token cleared.
-- A sender that claimed one of them marks it on the wire only while it still holds the
-- token (markOnTheWire), and settles only so (settleOutcomes): it now holds nothing, so it
-- sends nothing and its outcome is kept in notification_attempts as lease_lost. The row lock
-- taken here makes a sender marking the row at this moment wait, then find it suppressed. A
-- call already on the wire cannot be taken back: those are counted apart (on_the_wire).
create function public.cancel_outbox_messages(ids bigint[], reason text)
  returns table (id bigint, was_status text, on_the_wire boolean)
  language sql
  volatile
  security invoker
  set search_path = ''
as $$
  with cancelled as (
    select o.id, o.status, o.claimed_at, o.send_ref, o.in_doubt_since
    from public.notifications_outbox o
    where o.id = any (ids) and o.status in ('pending', 'retry', 'deferred', 'sending')
    for update
  )
  update public.notifications_outbox o
  set status = 'suppressed',
      status_reason = reason,
      lease_until = null,
      lease_token = null
  from cancelled c
  where o.id = c.id
  returning o.id, c.status,
    -- Marked on the wire by its current claim, or an earlier attempt's answer never came.
    (c.status = 'sending' and c.send_ref is not null) or c.in_doubt_since is not null
$$;
comment on function public.cancel_outbox_messages(bigint[], text) is
  'Suppresses waiting outbox messages (pending, retry, deferred, and sending ones, whose sender loses its lease) with the given reason, so no sender ever sends them. Returns each with the status it left, and whether a provider may already have it (on_the_wire).';
revoke all on function public.cancel_outbox_messages(bigint[], text) from public, anon, authenticated;
grant execute on function public.cancel_outbox_messages(bigint[], text) to service_role;

-- A provider's report can come after the customer was forgotten (Resend posts "delivered"
-- seconds after the send, "opened" days later): it is about a message kept only as a count,
-- and is kept without the address and words it quotes. Its delivery status and activity read
-- the outbox row, whose recipient and lead are gone, so they name no one.
create function public.resend_events_forgotten_message()
  returns trigger
  language plpgsql
  security invoker
  set search_path = ''
as $$
begin
  if new.outbox_id is not null and exists (
    select from public.notifications_outbox o
    where o.id = new.outbox_id and o.payload @> '{"forgotten": true}'
  ) then
    new.payload := jsonb_build_object('type', new.event_type, 'forgotten', true);
  end if;
  return new;
end
$$;
comment on function public.resend_events_forgotten_message() is
  'Trigger: a Resend event about a message of a forgotten customer is kept without its payload (the address, the subject).';
revoke all on function public.resend_events_forgotten_message() from public, anon, authenticated;

create trigger resend_events_forgotten_message
  before insert on public.resend_events
  for each row execute function public.resend_events_forgotten_message();

comment on column public.notifications_outbox.status_reason is
  'Why it was suppressed or deferred (no_sms_consent, opted_out, invalid_phone, daily_cap, quiet_hours, on_call_hourly_cap, staff_quiet_hours, first_text_hold (until release_held_texts()), forgotten (forget_customer), permanent error code…).';

-- ---------------------------------------------------------------------------------------
-- Right of access
-- ---------------------------------------------------------------------------------------

create function public.export_customer(email_or_phone text)
  returns jsonb
  language plpgsql
  stable
  security invoker
  set search_path = ''
as $$
declare
  scope record;
  contacts text[];
  inbound_ids text[];
begin
  select * into scope from public.privacy_request_scope(email_or_phone);
  contacts := scope.emails || scope.phones;
  select coalesce(array_agg(m.id::text), '{}') into inbound_ids
  from public.sms_inbound_messages m
  where m.from_phone = any (scope.phones) or m.lead_id = any (scope.lead_ids);

  return jsonb_build_object(
    'exported_at', now(),
    'emails', to_jsonb(scope.emails),
    'phones', to_jsonb(scope.phones),
    'leads', (
      select coalesce(jsonb_agg(to_jsonb(l) - 'captcha_token' order by l.created_at), '[]')
      from public.leads l where l.id = any (scope.lead_ids)),
    'messages_sent', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'ref', l.reference_number, 'key', o.key, 'template', o.template, 'channel', o.channel,
          'recipient', o.recipient, 'status', o.status, 'status_reason', o.status_reason,
          'created_at', o.created_at, 'sent_at', o.sent_at, 'delivery_status', o.delivery_status,
          -- Only replies answered in TwiML keep their words; the rest are rendered from the
          -- lead when sent, and their details (an appointment) are in the payload.
          'body', o.payload ->> 'body', 'details', o.payload - 'body')
          order by o.created_at, o.id), '[]')
      from public.notifications_outbox o
        left join public.leads l on l.id = o.lead_id
      where lower(o.recipient) = any (contacts)),
    'messages_about_them', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'ref', l.reference_number, 'template', o.template, 'channel', o.channel,
          'audience', k.audience, 'status', o.status, 'created_at', o.created_at,
          'sent_at', o.sent_at) order by o.created_at, o.id), '[]')
      from public.notifications_outbox o
        left join public.leads l on l.id = o.lead_id
        left join public.message_kinds k on k.kind = o.template
      where (o.lead_id = any (scope.lead_ids) or o.payload ->> 'inbound_sms_id' = any (inbound_ids))
        and (o.recipient is null or lower(o.recipient) <> all (contacts))),
    'texts_received', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'received_at', m.received_at, 'from', m.from_phone, 'body', m.body, 'media', m.media,
          'read_as', m.intent, 'ref', l.reference_number) order by m.received_at, m.id), '[]')
      from public.sms_inbound_messages m
        left join public.leads l on l.id = m.lead_id
      where m.id::text = any (inbound_ids)),
    'consent_history', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'at', e.created_at, 'phone', e.phone_e164, 'event', e.event, 'source', e.source,
          'detail', e.detail, 'ref', l.reference_number) order by e.created_at, e.id), '[]')
      from public.sms_consent_events e
        left join public.leads l on l.id = e.lead_id
      where e.phone_e164 = any (scope.phones) or e.lead_id = any (scope.lead_ids)),
    'appointments', (
      select coalesce(jsonb_agg(to_jsonb(a) || jsonb_build_object('ref', l.reference_number)
          order by a.created_at), '[]')
      from public.appointments a join public.leads l on l.id = a.lead_id
      where a.lead_id = any (scope.lead_ids)),
    'activities', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'ref', l.reference_number, 'at', a.created_at, 'type', a.activity_type,
          'description', a.description, 'by', a.created_by) order by a.created_at, a.id), '[]')
      from public.lead_activities a join public.leads l on l.id = a.lead_id
      where a.lead_id = any (scope.lead_ids)),
    'photos', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'ref', l.reference_number, 'bucket', m.bucket, 'path', m.object_path,
          'content_type', m.content_type, 'uploaded_at', m.created_at) order by m.created_at), '[]')
      from public.media m join public.leads l on l.id = m.lead_id
      where m.lead_id = any (scope.lead_ids)),
    'email_suppressions', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'address', s.address, 'reason', s.reason, 'detail', s.detail, 'at', s.suppressed_at)), '[]')
      from public.email_suppressions s where s.address = any (scope.emails)),
    'unreachable_phones', (
      select coalesce(jsonb_agg(jsonb_build_object(
          'phone', u.phone_e164, 'reason', u.reason, 'at', u.recorded_at)), '[]')
      from public.sms_unreachable_phones u where u.phone_e164 = any (scope.phones))
  );
end
$$;
comment on function public.export_customer(text) is
  'Right of access: everything held about a customer, as JSON (leads with their Refs, messages sent to them, messages about them, texts received, consent history, appointments, timeline, photos). Give their email or phone: select public.export_customer(''jane@example.com'');';
revoke all on function public.export_customer(text) from public, anon, authenticated;
grant execute on function public.export_customer(text) to service_role;

-- ---------------------------------------------------------------------------------------
-- Right to deletion
-- ---------------------------------------------------------------------------------------

create function public.forget_customer(email_or_phone text)
  returns jsonb
  language plpgsql
  volatile
  security invoker
  set search_path = ''
as $$
declare
  scope record;
  contacts text[];
  masked_phones text[];
  refs text[];
  inbound_ids bigint[];
  inbound_sids text[];
  outbox_ids bigint[];
  outbox_keys text[];
  n_cancelled integer;
  n_on_the_wire integer;
  n_outbox integer;
  n_attempts integer;
  n_resend integer;
  n_activities integer;
  n_appointments integer;
  n_media integer;
  n_inbound integer;
  n_opt_ins integer;
  n_opt_outs integer;
  n_opt_outs_kept integer;
  n_unreachable integer;
  n_suppressions integer;
  n_submissions integer;
  n_leads integer;
  total integer;
begin
  select * into scope from public.privacy_request_scope(email_or_phone);
  contacts := scope.emails || scope.phones;
  select coalesce(array_agg(public.mask_contact(u.phone)), '{}') into masked_phones
  from unnest(scope.phones) as u(phone);
  select coalesce(array_agg(l.reference_number order by l.created_at), '{}') into refs
  from public.leads l where l.id = any (scope.lead_ids);

  select coalesce(array_agg(m.id), '{}'), coalesce(array_agg(m.message_sid), '{}')
  into inbound_ids, inbound_sids
  from public.sms_inbound_messages m
  where m.from_phone = any (scope.phones) or m.lead_id = any (scope.lead_ids);

  -- Every message to them, about their leads, or forwarding their texts to staff.
  select coalesce(array_agg(o.id), '{}'), coalesce(array_agg(o.key), '{}')
  into outbox_ids, outbox_keys
  from public.notifications_outbox o
  where o.lead_id = any (scope.lead_ids)
     or lower(o.recipient) = any (contacts)
     or o.payload ->> 'inbound_sms_id' = any (inbound_ids::text[]);

  -- First, so that nothing waiting goes while the rest is removed.
  select count(*), count(*) filter (where c.on_the_wire) into n_cancelled, n_on_the_wire
  from public.cancel_outbox_messages(outbox_ids, 'forgotten') c;

  -- Kept as counts (metrics, health, the daily cap's history), emptied of the person. A row
  -- already emptied changes no more, so a second call finds nothing.
  update public.notifications_outbox o
  set lead_id = null,
      recipient = case when lower(o.recipient) = any (contacts) then null else o.recipient end,
      payload = jsonb_build_object('forgotten', true)
        || case when o.payload ? 'first_text' then jsonb_build_object('first_text', o.payload -> 'first_text')
                else '{}'::jsonb end,
      last_error = public.redact_contacts(o.last_error, contacts)
  where o.id = any (outbox_ids)
    and (o.lead_id is not null or lower(o.recipient) = any (contacts)
      or not (o.payload @> '{"forgotten": true}') or o.last_error is distinct from public.redact_contacts(o.last_error, contacts));
  get diagnostics n_outbox = row_count;

  update public.notification_attempts a
  set error = public.redact_contacts(a.error, contacts)
  where a.outbox_id = any (outbox_ids) and a.error is distinct from public.redact_contacts(a.error, contacts);
  get diagnostics n_attempts = row_count;

  -- Resend's events quote the address; the svix-id stays, so a retried event is still known.
  update public.resend_events r
  set payload = jsonb_build_object('type', r.event_type, 'forgotten', true)
  where (r.outbox_id = any (outbox_ids) or r.payload::text ilike any (
           select '%' || replace(replace(u.email, '_', '\_'), '%', '\%') || '%' from unnest(scope.emails) as u(email)))
    and not (r.payload @> '{"forgotten": true}');
  get diagnostics n_resend = row_count;

  -- Their timeline, and entries about them that no lead holds (a STOP from a number no lead
  -- gave: its activity names the phone masked, and the words it said).
  delete from public.lead_activities a
  where a.lead_id = any (scope.lead_ids)
     or a.metadata ->> 'outbox_key' = any (outbox_keys)
     or a.metadata ->> 'message_sid' = any (inbound_sids)
     or (a.lead_id is null and a.activity_type in ('sms_opt_out', 'sms_opt_in')
         and a.metadata ->> 'phone' = any (masked_phones))
     or exists (select from unnest(contacts) as u(contact)
                where strpos(lower(a.description || ' ' || a.metadata::text), u.contact) > 0);
  get diagnostics n_activities = row_count;

  delete from public.appointments a where a.lead_id = any (scope.lead_ids);
  get diagnostics n_appointments = row_count;

  with gone as (
    delete from public.media m where m.lead_id = any (scope.lead_ids)
    returning m.bucket, m.object_path
  )
  insert into public.storage_deletions (bucket, object_path, reason)
  select g.bucket, g.object_path, 'forgotten' from gone g
  on conflict (bucket, object_path) do nothing;
  get diagnostics n_media = row_count;

  delete from public.sms_inbound_messages m where m.id = any (inbound_ids);
  get diagnostics n_inbound = row_count;

  -- The ledger keeps every opt-out (when, how: the phone stays stopped), without the lead or
  -- the customer's own words; opt-ins, which only said "you may text me", go.
  delete from public.sms_consent_events e
  where (e.phone_e164 = any (scope.phones) or e.lead_id = any (scope.lead_ids)) and e.event = 'opt_in';
  get diagnostics n_opt_ins = row_count;
  update public.sms_consent_events e
  set lead_id = null,
      detail = case when e.source = 'provider' or e.detail ~ '^[[:alpha:]]{1,20}$' then e.detail
                    else 'opt-out (the words were removed when the customer was forgotten)' end
  where (e.phone_e164 = any (scope.phones) or e.lead_id = any (scope.lead_ids))
    and e.event = 'opt_out'
    and (e.lead_id is not null
      or not (e.source = 'provider' or e.detail ~ '^[[:alpha:]]{1,20}$'
              or e.detail = 'opt-out (the words were removed when the customer was forgotten)'));
  get diagnostics n_opt_outs = row_count;
  select count(*) into n_opt_outs_kept
  from public.sms_consent_events e where e.phone_e164 = any (scope.phones) and e.event = 'opt_out';

  delete from public.sms_unreachable_phones u where u.phone_e164 = any (scope.phones);
  get diagnostics n_unreachable = row_count;

  -- A bounce or complaint goes with the address: Resend keeps its own suppression list.
  delete from public.email_suppressions s where s.address = any (scope.emails);
  get diagnostics n_suppressions = row_count;

  -- The form limits still count the submission (by client address), no longer the phone.
  update public.form_submissions f set phone_e164 = null where f.phone_e164 = any (scope.phones);
  get diagnostics n_submissions = row_count;

  delete from public.leads l where l.id = any (scope.lead_ids);
  get diagnostics n_leads = row_count;

  total := n_cancelled + n_outbox + n_attempts + n_resend + n_activities + n_appointments
    + n_media + n_inbound + n_opt_ins + n_opt_outs + n_unreachable + n_suppressions
    + n_submissions + n_leads;
  raise log 'forget_customer: % (% leads, % rows in all)',
    array_to_string(array(select public.mask_contact(u.contact) from unnest(contacts) as u(contact)), ', '), n_leads, total;

  return jsonb_build_object(
    'forgotten', total > 0,
    'message', case
      when total > 0 then format('Forgot %s: %s lead(s), %s row(s) removed or anonymised.',
        array_to_string(array(select public.mask_contact(u.contact) from unnest(contacts) as u(contact)), ', '), n_leads, total)
      -- Nothing found: no lead either, so the contacts are the one given.
      else format('Nothing held about %s%s.', public.mask_contact(contacts[1]),
           case when n_opt_outs_kept > 0 then ' (its opt-out is kept)' else '' end)
    end,
    'contacts', to_jsonb(array(select public.mask_contact(u.contact) from unnest(contacts) as u(contact))),
    'refs', to_jsonb(refs),
    'leads', n_leads,
    'notifications_outbox', jsonb_build_object(
      'cancelled', n_cancelled, 'cancelled_on_the_wire', n_on_the_wire, 'anonymised', n_outbox),
    'notification_attempts', n_attempts,
    'resend_events', n_resend,
    'lead_activities', n_activities,
    'appointments', n_appointments,
    'media', n_media,
    'storage_deletions_queued', n_media,
    'sms_inbound_messages', n_inbound,
    'sms_consent_events', jsonb_build_object(
      'opt_ins_deleted', n_opt_ins, 'opt_outs_anonymised', n_opt_outs, 'opt_outs_kept', n_opt_outs_kept),
    'sms_unreachable_phones', n_unreachable,
    'email_suppressions', n_suppressions,
    'form_submissions', n_submissions);
end
$$;
comment on function public.forget_customer(text) is
  'Right to deletion: removes or anonymises everything that names a customer (give their email or phone). Their waiting messages are suppressed (forgotten) first; opt-outs stay on the consent ledger so the phone stays stopped; photos are queued in storage_deletions. Returns what it did per table; a second call finds nothing. select public.forget_customer(''jane@example.com'');';
revoke all on function public.forget_customer(text) from public, anon, authenticated;
grant execute on function public.forget_customer(text) to service_role;
