/** The database-webhook payload notify-lead accepts, validated with zod. */
import { z } from "zod";

export const leadInsertPayload = z.object({
  type: z.literal("INSERT", { error: 'type must be "INSERT": notify-lead only acts on new leads' }),
  table: z.literal("leads", { error: 'table must be "leads"' }),
  schema: z.literal("public", { error: 'schema must be "public"' }),
  record: z.looseObject({ id: z.uuid({ error: "record.id must be the lead's uuid" }) }),
  old_record: z.unknown().optional(),
});

/**
 * The database webhook on lead_activities: an appointment was scheduled or cancelled (the
 * trigger sends no other type; any other is refused).
 */
export const appointmentActivityPayload = z.object({
  type: z.literal("INSERT", { error: 'type must be "INSERT"' }),
  table: z.literal("lead_activities", { error: 'table must be "lead_activities"' }),
  schema: z.literal("public", { error: 'schema must be "public"' }),
  record: z.looseObject({
    lead_id: z.uuid({ error: "record.lead_id must be the lead's uuid" }),
    activity_type: z.enum(["appointment_scheduled", "appointment_cancelled"], {
      error: "record.activity_type must be appointment_scheduled or appointment_cancelled",
    }),
  }),
  old_record: z.unknown().optional(),
});

/** The sweep's body: pg_cron sends `{"wait": false}`; a caller may shorten the webhook's grace. */
export const sweepRequest = z.object({
  grace_seconds: z.number().int().min(0).max(86_400).optional(),
  /**
   * false (pg_cron): answer once planning is done and send in the background, so pg_net's
   * next requests (new leads' webhooks) do not wait behind a drain. Default true: answer with
   * what was sent.
   */
  wait: z.boolean().optional(),
});

export type LeadInsertPayload = z.infer<typeof leadInsertPayload>;

/** Human-readable zod issues: `record.id: record.id must be the lead's uuid`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
}
