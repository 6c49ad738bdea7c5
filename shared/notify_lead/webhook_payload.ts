/** The database-webhook payload notify-lead accepts, validated with zod. */
import { z } from "zod";

export const leadInsertPayload = z.object({
  type: z.literal("INSERT", { error: 'type must be "INSERT": notify-lead only acts on new leads' }),
  table: z.literal("leads", { error: 'table must be "leads"' }),
  schema: z.literal("public", { error: 'schema must be "public"' }),
  record: z.looseObject({ id: z.uuid({ error: "record.id must be the lead's uuid" }) }),
  old_record: z.unknown().optional(),
});

/** The sweep's body: pg_cron sends `{}`; a caller may shorten the grace given to the webhook. */
export const sweepRequest = z.object({
  grace_seconds: z.number().int().min(0).max(86_400).optional(),
});

export type LeadInsertPayload = z.infer<typeof leadInsertPayload>;

/** Human-readable zod issues: `record.id: record.id must be the lead's uuid`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
}
