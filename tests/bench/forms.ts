/**
 * forms [submissions] [addresses] [in flight]: 1,000 anon submit_lead calls from 50 client
 * addresses, as a script hammering the public form would, under the shop's shipped limits (the
 * test stack's raised ones are put back after). Prints what was taken and refused per reason,
 * what the taken leads' confirmation texts became (planned, held by the first-text guard,
 * suppressed), the calls per second and the RPC's latency, taken and refused apart.
 *
 * Two in flight by default, one per core of the 2-core machine the target is set for: the
 * machine is busy throughout, and the latency is the RPC's. More callers than cores only queue
 * (latency ≈ in flight ÷ calls per second, Little's law), which the third argument shows.
 */
import { connect } from "../support/stack.ts";
import { from, submission, submit } from "../support/forms.ts";
import { waitFor } from "../support/wait_for.ts";
import { forEachPooled } from "../../shared/platform/pooled.ts";
import { percentile } from "./percentile.ts";

export async function forms(args: string[] = []): Promise<boolean> {
  const SUBMISSIONS = Number(args[0] ?? 1_000);
  const ADDRESSES = Number(args[1] ?? 50);
  const IN_FLIGHT = Number(args[2] ?? 2);
  const sql = connect({ max: IN_FLIGHT + 2 });
  const [saved] = await sql`select form_submissions_per_minute, first_texts_per_hour
    from public.business_settings`;
  const [{ since }] = await sql`select coalesce(max(id), 0) as since from public.form_refusals`;
  const run = crypto.randomUUID().slice(0, 4);
  const addresses = Array.from({ length: ADDRESSES }, (_, i) => `2001:db8:${run}::${i + 1}`);
  try {
    await sql`update public.business_settings
      set form_submissions_per_minute = default, first_texts_per_hour = default`;
    // Every connection opened first: the latency is the RPC's, not the pool's connecting.
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => sql`select pg_sleep(0.05)`));
    const latencies: number[] = [];
    const takenMs: number[] = [];
    const refusedMs: number[] = [];
    const taken: string[] = [];
    let refused = 0;
    const started = performance.now();
    await forEachPooled(Array.from({ length: SUBMISSIONS }, (_, i) => i), IN_FLIGHT, async (i) => {
      const t0 = performance.now();
      const { result, status } = await submit(sql, submission(), from(addresses[i % ADDRESSES]));
      const ms = performance.now() - t0;
      latencies.push(ms);
      if (status === null) {
        taken.push(String(result.reference_number));
        takenMs.push(ms);
      } else {
        refused++;
        refusedMs.push(ms);
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const refusals = await sql<{ reason: string; n: number }[]>`
      select reason, count(*)::int as n from public.form_refusals
      where id > ${since} group by reason order by reason`;
    const texts = await waitFor("every taken lead to be planned", async () => {
      const rows = await sql<{ outcome: string; n: number }[]>`
        select case when o.status = 'suppressed' then 'suppressed: ' || o.status_reason
                    when o.status_reason = 'first_text_hold' then 'held by the first-text guard'
                    else 'planned to go' end as outcome, count(*)::int as n
        from public.leads l
        join public.notifications_outbox o on o.lead_id = l.id
          and o.template = 'initial_confirmation_sms'
        where l.reference_number = any (${sql.array(taken)})
        group by 1 order by 1`;
      return rows.reduce((sum, r) => sum + r.n, 0) === taken.length ? rows : undefined;
    }, { timeoutMs: 120_000 });

    console.log(
      `forms: ${SUBMISSIONS} submissions from ${ADDRESSES} addresses, ${IN_FLIGHT} in flight, ` +
        `in ${seconds.toFixed(1)} s (${(SUBMISSIONS / seconds).toFixed(0)} calls/s)`,
    );
    console.log(`  taken: ${taken.length}, refused: ${refused}`);
    console.log("  refusals logged (at most 20 an hour per address), by reason:");
    for (const r of refusals) console.log(`    ${r.reason}: ${r.n}`);
    console.log("confirmation texts of the taken leads:");
    for (const t of texts) console.log(`  ${t.outcome}: ${t.n}`);
    console.log(`submit_lead latency (target p99 ≤ 50 ms):`);
    const groups: [string, number[]][] = [["all", latencies], ["taken", takenMs], [
      "refused",
      refusedMs,
    ]];
    for (const [name, ms] of groups) {
      console.log(`  ${name.padEnd(8)} ${latencySummary(ms)}`);
    }
    return taken.length + refused === SUBMISSIONS;
  } finally {
    await sql`update public.business_settings
      set form_submissions_per_minute = ${saved.form_submissions_per_minute},
          first_texts_per_hour = ${saved.first_texts_per_hour}`;
    await sql.end();
  }
}

function latencySummary(ms: number[]): string {
  if (ms.length === 0) return "none";
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${
    percentile(sorted, 99).toFixed(1)
  } ms, max ${sorted.at(-1)!.toFixed(1)} ms (${ms.length})`;
}
