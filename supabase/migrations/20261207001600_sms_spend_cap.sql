-- An SMS spend cap (issue 23, part 3): nothing capped what a flood of texts costs (a form
-- anyone can fill in, a hail storm). The day's spend is the segments of the texts Twilio
-- accepted today (the shop's day) times the account's price per segment. At 80 % of
-- business_settings.sms_daily_budget_usd the sweep alerts the admin once (sms_budget_warning);
-- at 100 % (sms_budget_spent) texts that are not required stop: customers are confirmed by
-- email only and staff texts are suppressed (their emails go as ever), each with the reason
-- sms_budget_spent. Replies to STOP, HELP and START are answered in TwiML and never stopped.

alter table public.business_settings
  add column sms_daily_budget_usd numeric(10, 2) not null default 50
    check (sms_daily_budget_usd >= 0),
  add column sms_price_per_segment_usd numeric(8, 5) not null default 0.0083
    check (sms_price_per_segment_usd >= 0);
comment on column public.business_settings.sms_daily_budget_usd is
  'Most the shop spends on texts in a day (its time_zone''s day), in US dollars (the plan''s $50/day). At 80 % the admin is alerted once; at 100 % customers'' texts and staff texts are suppressed (sms_budget_spent) until the next day, and customers get their emails. 0 stops every text but the replies to STOP, HELP and START.';
comment on column public.business_settings.sms_price_per_segment_usd is
  'What Twilio charges the account for one SMS segment, in US dollars (set it to the account''s price): the day''s spend is the segments of the texts accepted today times this.';

-- Twilio bills by segment (153 GSM-7 or 67 UCS-2 characters a part): its answer says how many.
alter table public.notifications_outbox add column segments integer check (segments > 0);
comment on column public.notifications_outbox.segments is
  'The parts the provider bills a sent text as (Twilio''s num_segments); null for other channels and for texts sent before it was recorded or answered in TwiML (counted as 1).';

-- What the day's spend reads: today's accepted texts, by time (the older index leads with the phone).
create index notifications_outbox_sms_sent_at_idx on public.notifications_outbox (sent_at)
  where channel = 'sms' and status = 'sent';

create view public.sms_spend_today
  with (security_invoker = true)
as
with shop as (
  select b.time_zone, b.sms_daily_budget_usd, b.sms_price_per_segment_usd,
         (now() at time zone b.time_zone)::date as day
  from public.business_settings b
)
select
  s.day,
  t.texts,
  t.segments,
  round(t.segments * s.sms_price_per_segment_usd, 4) as spent_usd,
  s.sms_daily_budget_usd as budget_usd,
  case when s.sms_daily_budget_usd > 0
       then round(100 * t.segments * s.sms_price_per_segment_usd / s.sms_daily_budget_usd, 1)
  end as percent_of_budget,
  t.segments * s.sms_price_per_segment_usd >= s.sms_daily_budget_usd as budget_spent
from shop s
cross join lateral (
  select count(*) as texts, coalesce(sum(coalesce(o.segments, 1)), 0) as segments
  from public.notifications_outbox o
  where o.channel = 'sms' and o.status = 'sent'
    and o.sent_at >= s.day::timestamp at time zone s.time_zone
    and o.sent_at < (s.day + 1)::timestamp at time zone s.time_zone
) t;
comment on view public.sms_spend_today is
  'The day''s SMS spend against business_settings.sms_daily_budget_usd (the shop''s day): texts Twilio accepted today, their segments, spent_usd (segments × sms_price_per_segment_usd), percent_of_budget, and budget_spent (customers'' and staff texts are then suppressed, sms_budget_spent).';
revoke all on public.sms_spend_today from anon, authenticated;
grant select on public.sms_spend_today to service_role;

-- submit_lead's will_text follows the sender's rule, which now includes the budget.
create or replace function public.lead_will_text(lead_id uuid)
  returns boolean
  language sql
  stable
  security definer
  set search_path = ''
as $$
  select l.sms_consent
    and public.sms_number_textable(l.phone_e164)
    and coalesce((select s.may_text from public.sms_consent_status s
                  where s.phone_e164 = l.phone_e164), false)
    and not exists (select from public.sms_unreachable_phones u where u.phone_e164 = l.phone_e164)
    and (select count(*) from public.notifications_outbox o
         where o.channel = 'sms' and o.status = 'sent' and o.recipient = l.phone_e164
           and o.sent_at > now() - interval '24 hours')
        < (select case when l.state in ('FL', 'OK', 'MD') then least(b.sms_daily_cap, 3)
                       else b.sms_daily_cap end
           from public.business_settings b)
    and not coalesce((select t.budget_spent from public.sms_spend_today t), false)
    and not exists (
      select from public.leads e, public.business_settings b
      where b.duplicate_window_minutes > 0 and e.id <> l.id
        and (e.phone_e164 = l.phone_e164 or e.email = l.email)
        and e.created_at >= l.created_at - make_interval(mins => b.duplicate_window_minutes)
        and e.created_at <= l.created_at)
  from public.leads l
  where l.id = lead_will_text.lead_id
$$;
comment on function public.lead_will_text(uuid) is
  'Whether the lead''s confirmation will be texted (quiet hours aside): submit_lead''s will_text, by the rules smsEligibility applies (the day''s SMS budget included).';

comment on table public.admin_alerts is
  'Where each alert condition stands (dead_letters, backlog, stale_message, email_success_rate, sms_success_rate, <provider>_failures, held_first_texts, sms_budget_warning, sms_budget_spent): raised when the sweep first saw it, the admin told then and at most once an hour while it lasts (the SMS budget''s two only once), and once more when it cleared (cleared_at).';

comment on column public.notifications_outbox.status_reason is
  'Why it was suppressed or deferred (no_sms_consent, opted_out, invalid_phone, daily_cap, quiet_hours, on_call_hourly_cap, staff_quiet_hours, first_text_hold (until release_held_texts()), forgotten (forget_customer), in_staff_digest (a new-lead alert gathered into the staff_digest_email whose key is in payload.staff_digest), staff_digest_window (a digest waiting for its window to pass), sms_budget_spent (the day''s SMS budget was spent: see sms_spend_today), permanent error code…).';
