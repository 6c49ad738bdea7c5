/**
 * The health endpoint: `GET /functions/v1/health` answers what an uptime monitor needs (the
 * outbox's depth, the oldest waiting message, dead letters, each provider's last success and
 * the 24-hour success rates) with `healthy | degraded | failing`: 200 for the first two,
 * 503 for failing, so a monitor pages on the status code alone. Counts and times only: no
 * lead, address or phone is in it, so it needs no key.
 */
import type postgres from "postgres";
import { errorResponse } from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import { assessHealth, type HealthSnapshot, loadHealthSnapshot, THRESHOLDS } from "./health.ts";

export interface HealthDeps {
  sql: postgres.Sql;
  clock?: () => Date;
}

/** The body of a health answer. */
export function healthReport(snapshot: HealthSnapshot, checkedAt: Date) {
  const { status, problems } = assessHealth(snapshot);
  return {
    status,
    checked_at: checkedAt.toISOString(),
    problems: problems.map(({ condition, severity, value, threshold, summary }) => ({
      condition,
      severity,
      value,
      threshold,
      summary,
    })),
    outbox: snapshot.outbox,
    success_rate_pct_24h: snapshot.successRatePct,
    settled_24h: snapshot.settled,
    providers: Object.fromEntries(snapshot.providers.map((p) => [p.provider, {
      channel: p.channel,
      last_success_at: p.last_success_at?.toISOString() ?? null,
      failures_in_a_row: p.failures_in_a_row,
      // open: its email goes through SendGrid (provider_circuits).
      ...(p.circuit ? { circuit: p.circuit } : {}),
    }])),
    thresholds: THRESHOLDS,
  };
}

export function createHealthHandler(deps: HealthDeps): (req: Request) => Promise<Response> {
  const clock = deps.clock ?? (() => new Date());
  return async (req) => {
    await req.body?.cancel();
    if (req.method !== "GET" && req.method !== "HEAD") {
      return errorResponse(405, `Use GET, not ${req.method}`);
    }
    const headers = { "cache-control": "no-store" };
    let report;
    try {
      report = healthReport(await loadHealthSnapshot(deps.sql), clock());
    } catch (err) {
      console.error(maskPII(`health check failed: ${(err as Error).message}`));
      return Response.json({
        status: "failing",
        checked_at: clock().toISOString(),
        problems: [{
          condition: "database_unreachable",
          severity: "failing",
          summary: "The outbox cannot be read: the database did not answer",
        }],
      }, { status: 503, headers });
    }
    const status = report.status === "failing" ? 503 : 200;
    if (req.method === "HEAD") return new Response(null, { status, headers });
    return Response.json(report, { status, headers });
  };
}
