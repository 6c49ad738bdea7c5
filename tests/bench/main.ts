/**
 * Benchmarks: `deno task bench <name> [args]` (e.g. `deno task bench burst 1000`). Each prints its numbers and asserts nothing about time.
 * They run against the test stack if one is up (`npm run stack:test`), else start a fresh one.
 */
import { burst } from "./burst.ts";
import { faults } from "./faults.ts";
import { forms } from "./forms.ts";
import { inbound } from "./inbound.ts";
import { reminders } from "./reminders.ts";
import { connect, stack } from "../support/stack.ts";
import { startStack } from "../../supabase/local/stack.ts";

const benches: Record<string, (args: string[]) => Promise<boolean>> = {
  burst,
  faults,
  forms,
  inbound,
  reminders,
};
const name = Deno.args[0];
if (!name || !benches[name]) {
  console.error(
    `usage: deno task bench <${Object.keys(benches).join("|")}> [args]`,
  );
  Deno.exit(2);
}

async function stackIsUp() {
  const sql = connect({ max: 1 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}

interface RuntimeStats {
  limits: Record<string, number>;
  functions: Record<string, Record<string, number>>;
}

async function runtimeStats(): Promise<RuntimeStats> {
  const res = await fetch(`${stack.apiUrl}/__stack/functions-runtime/stats`);
  return await res.json();
}

/** What the edge runtime did during the run: workers started, retired, killed; peak memory. */
function printRuntime(before: RuntimeStats, after: RuntimeStats) {
  const counts = [
    "started",
    "retiredCpu",
    "killedCpu",
    "killedWallClock",
    "killedMemory",
    "limitAnswers",
    "cpuMs",
  ];
  console.log(`\nedge runtime (${JSON.stringify(after.limits)})`);
  console.log(
    ["function".padEnd(16), ...counts, "peak MB", "boot CPU ms", "load CPU ms"].join("\t"),
  );
  for (const [fn, s] of Object.entries(after.functions)) {
    const was = before.functions[fn] ?? {};
    console.log([
      fn.padEnd(16),
      ...counts.map((c) => String(Math.round(s[c] - (was[c] ?? 0)))),
      (s.peakMemoryBytes / 1e6).toFixed(1),
      s.peakBootCpuMs.toFixed(0),
      s.peakLoadCpuMs.toFixed(0),
    ].join("\t"));
  }
}

const own = (await stackIsUp()) ? undefined : await startStack({ mode: "test", fresh: true });
let ok = false;
try {
  const before = await runtimeStats();
  ok = await benches[name](Deno.args.slice(1));
  printRuntime(before, await runtimeStats());
} finally {
  await own?.stop();
}
Deno.exit(ok ? 0 : 1);
