/**
 * Writes lead_activities rows: the audit trail admins read. Logging never breaks sending:
 * a failure here is reported on stderr (masked) and swallowed.
 */
import type postgres from "postgres";
import type { ActivityType } from "./types.ts";
import { maskPII } from "./mask.ts";

export interface ActivityEntry {
  lead_id: string | null;
  activity_type: ActivityType;
  description: string;
  metadata?: Record<string, unknown>;
  created_by?: string;
}

export async function logActivities(sql: postgres.Sql, entries: ActivityEntry[]): Promise<void> {
  if (entries.length === 0) return;
  try {
    const rows = entries.map((e) => ({
      lead_id: e.lead_id,
      activity_type: e.activity_type,
      description: e.description,
      metadata: sql.json((e.metadata ?? {}) as postgres.JSONValue),
      created_by: e.created_by ?? "system",
    }));
    await sql`insert into public.lead_activities ${sql(rows)}`;
  } catch (err) {
    console.error(maskPII(`could not log ${entries.length} activities: ${(err as Error).message}`));
  }
}
