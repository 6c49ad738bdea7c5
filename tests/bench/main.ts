/**
 * Benchmarks: `deno task bench <name> [args]` (e.g. `deno task bench burst 1000`). Each prints its numbers and asserts nothing about time.
 * They run against the test stack if one is up (`npm run stack:test`), else start a fresh one.
 */
// First: the functions mounted in this process render with production React, as deployed.
import "../../shared/platform/production.ts";
import { burst } from "./burst.ts";
import { faults } from "./faults.ts";
import { inbound } from "./inbound.ts";
import { reminders } from "./reminders.ts";
import { connect } from "../support/stack.ts";
import { startStack } from "../../supabase/local/stack.ts";

const benches: Record<string, (args: string[]) => Promise<boolean>> = {
  burst,
  faults,
  inbound,
  reminders,
};
const name = Deno.args[0];
if (!name || !benches[name]) {
  console.error(`usage: deno task bench <${Object.keys(benches).join("|")}> [args]`);
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

const own = (await stackIsUp()) ? undefined : await startStack({ mode: "test", fresh: true });
let ok = false;
try {
  ok = await benches[name](Deno.args.slice(1));
} finally {
  await own?.stop();
}
Deno.exit(ok ? 0 : 1);
