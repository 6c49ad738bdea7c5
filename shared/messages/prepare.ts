/**
 * The catalog's side of a drain: for each claimed row, load what its kind needs, ask the SMS
 * rules again for texts to customers (and the day's SMS budget for staff texts), and render
 * the channel payload. Context is loaded once per claim (one query per table), not per row.
 */
import type postgres from "postgres";
import type { Preparation, Prepare } from "../outbox/channel.ts";
import type { OutboxRow } from "../outbox/store.ts";
import type { StorageClient } from "../providers/storage_client.ts";
import type { Lead, Media } from "../leads/types.ts";
import { loadRoster } from "../leads/staff_store.ts";
import { onCallMember, type RosterMember } from "../leads/assignment.ts";
import { actionLinkUrl, type LeadAction, signActionToken } from "../leads/action_links.ts";
import type { DigestEntry, RenderContext } from "./render.ts";
import type { AlertNotice } from "../../templates/alert_notice.ts";
import type { HeldBackPage } from "../notify_lead/paging.ts";
import type { GatheredLead } from "../notify_lead/staff_digest.ts";
import {
  countSmsSentLastDay,
  loadBusinessSettings,
  loadEmailSuppressions,
  loadInboundSms,
  loadLeads,
  loadMediaByLead,
  loadSmsConsent,
  loadSmsSpend,
  loadUnreachablePhones,
} from "../leads/lead_store.ts";
import { smsBudgetStop } from "../compliance/sms_budget.ts";
import { calculateLeadPriority } from "../compliance/priority.ts";
import { consentForLead, NO_CONSENT, smsEligibility } from "../compliance/sms_eligibility.ts";
import { isCustomerSms, messageKind } from "./catalog.ts";
import type { MessageSetup } from "./setup.ts";
import {
  type Appointment,
  appointmentFromJson,
  type AppointmentJson,
} from "../appointments/types.ts";

/** Options for {@linkcode createPreparer}. */
export interface PreparerDeps {
  sql: postgres.Sql;
  storage: StorageClient;
  setup: MessageSetup;
}

const PHOTO_LINK_TTL_SECONDS = 7 * 24 * 3600;

async function signedPhotoUrls(storage: StorageClient, media: Media[]): Promise<string[]> {
  const urls: string[] = [];
  for (const [bucket, items] of Map.groupBy(media, (m) => m.bucket)) {
    const { data, error } = await storage.from(bucket).createSignedUrls(
      items.map((m) => m.object_path),
      PHOTO_LINK_TTL_SECONDS,
    );
    if (error) throw new Error(`Cannot sign photo links in bucket ${bucket}: ${error.message}`);
    for (const item of data ?? []) if (item.signedUrl) urls.push(item.signedUrl);
  }
  return urls;
}

/** A render failure is ours, not the provider's: retried like a transient one. */
async function rendered(row: OutboxRow, render: () => unknown): Promise<Preparation> {
  try {
    return { row, action: "send", payload: await render() };
  } catch (err) {
    const message = `could not prepare: ${(err as Error).message}`;
    return {
      row,
      action: "fail",
      failure: { message, network: true, transient: true, throttled: false },
    };
  }
}

/** The id of the customer's text an inbound kind's row answers (`payload.inbound_sms_id`). */
function inboundIdOf(row: OutboxRow): string | null {
  const id = row.payload?.inbound_sms_id;
  return id === undefined || id === null ? null : String(id);
}

/** The leads a staff digest gathers (`payload.gathered`); empty for any other row. */
function gatheredOf(row: OutboxRow): GatheredLead[] {
  const gathered = row.payload?.gathered;
  return Array.isArray(gathered) ? gathered as GatheredLead[] : [];
}

/** The appointment version an appointment message was planned for (`payload.appointment`). */
function appointmentOf(row: OutboxRow): Appointment | undefined {
  const json = row.payload?.appointment as AppointmentJson | undefined;
  return json ? appointmentFromJson(json) : undefined;
}

/** How long an "I'm on it" link works: past a weekend, so a Friday-night escalation still has one. */
const ACTION_LINK_TTL_MS = 4 * 24 * 3600_000;

/**
 * The signed "I'm on it" / "I called" links of a staff message, in the name of the staff member
 * it goes to (null: the admin inbox). Each link's id is the message key (with the lead's id in a
 * digest, which carries links for several) and action, and it expires a fixed time after the
 * message was planned, so a message renders the same bytes on every attempt.
 */
async function staffLinks(
  setup: MessageSetup,
  row: OutboxRow,
  lead: Lead,
  roster: RosterMember[],
  idPrefix = row.key,
): Promise<RenderContext["links"]> {
  if (!setup.actionLinks) return undefined;
  const { baseUrl, secret } = setup.actionLinks;
  const staff = roster.find((m) => m.email === row.recipient || m.phone_e164 === row.recipient);
  const expiresAt = new Date(row.created_at.getTime() + ACTION_LINK_TTL_MS);
  const link = async (action: LeadAction) =>
    actionLinkUrl(
      baseUrl,
      await signActionToken(
        {
          id: `${idPrefix}:${action}`,
          leadId: lead.id,
          staffId: staff?.id ?? null,
          action,
          expiresAt,
        },
        secret,
      ),
    );
  return { claim: await link("lead_claimed"), called: await link("call_made") };
}

/** The preparer a drain is handed. */
export function createPreparer(deps: PreparerDeps): Prepare {
  return async (rows: OutboxRow[], now: Date): Promise<Preparation[]> => {
    const leadIds = [
      ...new Set(rows.flatMap((r) => [
        ...(r.lead_id ? [r.lead_id] : []),
        ...gatheredOf(r).map((g) => g.lead_id),
      ])),
    ];
    const phones = [
      ...new Set(rows.flatMap((r) => {
        const kind = messageKind(r.template);
        return kind && isCustomerSms(kind) && r.recipient ? [r.recipient] : [];
      })),
    ];
    const inboundIds = [...new Set(rows.flatMap((r) => inboundIdOf(r) ?? []))];
    const staffRows = rows.some((r) => messageKind(r.template)?.audience === "staff");
    const addresses = [
      ...new Set(rows.flatMap((r) => r.channel === "email" && r.recipient ? [r.recipient] : [])),
    ];
    const texts = rows.some((r) => r.channel === "sms" && r.lead_id);
    const [settings, leads, media, inbound, smsSent, roster, suppressed, spend] = await Promise.all(
      [
        loadBusinessSettings(deps.sql),
        loadLeads(deps.sql, leadIds),
        loadMediaByLead(deps.sql, leadIds),
        loadInboundSms(deps.sql, inboundIds),
        countSmsSentLastDay(deps.sql, phones),
        staffRows ? loadRoster(deps.sql) : [],
        loadEmailSuppressions(deps.sql, addresses),
        // Read once per claim: a claim's texts may take the spend a little past the budget.
        texts ? loadSmsSpend(deps.sql) : null,
      ],
    );
    // Consent and carrier reports for the texts, and for the phones staff alerts describe.
    const leadPhones = [...leads.values()].flatMap((l) => l.phone_e164 ?? []);
    const allPhones = [...new Set([...phones, ...leadPhones])];
    const [consent, unreachable] = await Promise.all([
      loadSmsConsent(deps.sql, allPhones),
      loadUnreachablePhones(deps.sql, allPhones),
    ]);

    const prepareOne = async (row: OutboxRow): Promise<Preparation> => {
      const kind = messageKind(row.template);
      if (!kind) return { row, action: "dead", reason: `unknown message kind "${row.template}"` };
      if (!row.recipient) return { row, action: "dead", reason: "no recipient" };
      // A hard bounce or a complaint: the address gets no more email, whatever the kind.
      const bounced = kind.channel === "email" ? suppressed.get(row.recipient.toLowerCase()) : null;
      if (bounced) return { row, action: "suppress", reason: bounced };
      const lead = row.lead_id ? leads.get(row.lead_id) : undefined;
      if (kind.event === "sms_received") {
        const text = inbound.get(inboundIdOf(row) ?? "");
        if (!text) return { row, action: "dead", reason: "the customer's text no longer exists" };
        if (kind.inTwiml) return { row, action: "dead", reason: "answered in TwiML, not sent" };
        return await rendered(row, () =>
          kind.render({
            inbound: text,
            lead: lead ?? null,
            settings,
            recipient: row.recipient!,
            setup: deps.setup,
          }));
      }
      if (kind.event === "system_alert") {
        const alert = row.payload?.alert as AlertNotice | undefined;
        if (!alert) return { row, action: "dead", reason: "the alert has no payload" };
        return await rendered(
          row,
          () => kind.render({ alert, settings, recipient: row.recipient!, setup: deps.setup }),
        );
      }
      if (!lead) return { row, action: "dead", reason: `lead ${row.lead_id} no longer exists` };
      if (isCustomerSms(kind)) {
        const sms = smsEligibility({
          phone: row.recipient,
          consent: consentForLead(lead, consent.get(row.recipient) ?? NO_CONSENT),
          unreachable: unreachable.has(row.recipient),
          sentLast24h: smsSent.get(row.recipient) ?? 0,
          spend,
          lead,
          settings,
          now,
        });
        if (sms.action === "suppress") return { row, action: "suppress", reason: sms.reason };
        if (sms.action === "defer") {
          return { row, action: "defer", reason: sms.reason, until: sms.until };
        }
        // Counted now so two texts to one phone in the same claim both respect the cap.
        smsSent.set(row.recipient, (smsSent.get(row.recipient) ?? 0) + 1);
      } else if (kind.channel === "sms") {
        // Staff texts: the staff emails of the same lead go whatever the budget.
        const budget = spend ? smsBudgetStop(spend) : null;
        if (budget !== null) return { row, action: "suppress", reason: budget };
      }
      const photos = media.get(lead.id) ?? [];
      // An attempt in doubt may have reached the provider: it renders for the moment that
      // attempt did, so a repeat carries the same words (the SMS lookup compares them; a
      // repeated Resend batch must be the same request). Otherwise: for now.
      const renderFor = row.in_doubt_since !== null && row.rendered_for !== null
        ? row.rendered_for
        : now;
      const priorityOf = (l: Lead) =>
        l.priority ??
          calculateLeadPriority(l, { mediaCount: (media.get(l.id) ?? []).length, now: renderFor });
      const digestEntry = async (g: GatheredLead): Promise<DigestEntry> => {
        const gathered = leads.get(g.lead_id) ?? null;
        return {
          reference: gathered?.reference_number ?? g.reference,
          lead: gathered,
          priority: gathered ? priorityOf(gathered) : "normal",
          links: gathered
            ? await staffLinks(deps.setup, row, gathered, roster, `${row.key}:${gathered.id}`)
            : undefined,
        };
      };
      return await rendered({ ...row, rendered_for: renderFor }, async () =>
        kind.render({
          lead,
          settings,
          recipient: row.recipient!,
          photoUrls: kind.needs?.photoLinks && photos.length > 0
            ? await signedPhotoUrls(deps.storage, photos)
            : [],
          priority: lead.priority ??
            calculateLeadPriority(lead, { mediaCount: photos.length, now: renderFor }),
          now: renderFor,
          links: kind.audience === "staff" && kind.channel !== "webhook"
            ? await staffLinks(deps.setup, row, lead, roster)
            : undefined,
          onCallEmail: onCallMember(roster, renderFor)?.email ?? null,
          appointment: appointmentOf(row),
          heldBack: row.payload?.held_back as HeldBackPage[] | undefined,
          staffDigest: gatheredOf(row).length > 0
            ? {
              leads: await Promise.all(gatheredOf(row).map(digestEntry)),
              windowMinutes: Number(
                row.payload?.window_minutes ?? settings.staff_alert_window_minutes,
              ),
            }
            : undefined,
          phoneSms: lead.phone_e164
            ? {
              consent: (consent.get(lead.phone_e164) ?? NO_CONSENT).state,
              unreachable: unreachable.get(lead.phone_e164) ?? null,
            }
            : undefined,
          setup: deps.setup,
        }));
    };

    const prepared: Preparation[] = [];
    for (const row of rows) prepared.push(await prepareOne(row));
    return prepared;
  };
}
