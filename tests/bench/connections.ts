/**
 * The functions' database connections while a benchmark runs: every client connection of the
 * functions' login roles (`leadwire_…`, issue 21's budget of 40), sampled from pg_stat_activity.
 */
import type postgres from "postgres";

export interface ConnectionPeak {
  /** Most function connections seen at once. */
  peak: number;
  /** The peak's connections per function (application_name). */
  byFunction: Record<string, number>;
}

/** Starts sampling every `intervalMs`; `stop()` ends it and gives the peak. */
export function sampleFunctionConnections(sql: postgres.Sql, intervalMs = 200) {
  const seen: ConnectionPeak = { peak: 0, byFunction: {} };
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const rows = await sql<{ name: string; n: number }[]>`
        select coalesce(application_name, '') as name, count(*)::int as n
        from pg_stat_activity
        where backend_type = 'client backend' and usename like 'leadwire\\_%'
        group by 1`;
      const total = rows.reduce((sum, r) => sum + r.n, 0);
      if (total > seen.peak) {
        seen.peak = total;
        seen.byFunction = Object.fromEntries(rows.map((r) => [r.name, r.n]));
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop(): Promise<ConnectionPeak> {
      stopped = true;
      await sampling;
      return seen;
    },
  };
}

/** One line for a benchmark's output. */
export function describePeak({ peak, byFunction }: ConnectionPeak, budget = 40): string {
  const parts = Object.entries(byFunction).sort(([a], [b]) => a.localeCompare(b))
    .map(([fn, n]) => `${fn} ${n}`).join(", ");
  return `function connections: peak ${peak} at once (${parts || "none"}); budget ${budget}`;
}
