/**
 * Every SQL block of the operations runbook (docs/operations.md) runs clean against the stack,
 * as an admin runs it in the dashboard's SQL editor (role postgres), inside a transaction that
 * is rolled back: what the runbook tells an admin to paste cannot rot as the schema changes.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";

await requireStack();

const RUNBOOK = new URL("../../docs/operations.md", import.meta.url);

/** The ```sql fenced blocks of a Markdown text, with the heading each is under. */
export function sqlBlocks(markdown: string): { heading: string; sql: string }[] {
  const blocks: { heading: string; sql: string }[] = [];
  let heading = "(top)";
  let block: string[] | null = null;
  for (const line of markdown.split("\n")) {
    if (block) {
      if (line.startsWith("```")) {
        blocks.push({ heading, sql: block.join("\n") });
        block = null;
      } else block.push(line);
    } else if (line.startsWith("```sql")) block = [];
    else if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
  }
  assert.equal(block, null, "an unclosed ```sql block");
  return blocks;
}

/** Thrown to roll a block's transaction back after it ran. */
class RolledBack extends Error {}

Deno.test("every SQL block of the runbook runs clean and changes nothing", async (t) => {
  const blocks = sqlBlocks(await Deno.readTextFile(RUNBOOK));
  assert.ok(blocks.length >= 15, `${blocks.length} SQL blocks`);
  const sql = connect();
  try {
    for (const [i, { heading, sql: text }] of blocks.entries()) {
      await t.step(`${heading} #${i + 1}`, async () => {
        await assert.rejects(
          sql.begin(async (tx) => {
            await tx.unsafe(text);
            throw new RolledBack();
          }),
          RolledBack,
        );
      });
    }
  } finally {
    await sql.end();
  }
});

Deno.test("the runbook covers every condition the health check can raise", async () => {
  const runbook = await Deno.readTextFile(RUNBOOK);
  const { CHANNELS } = await import("../../shared/outbox/store.ts");
  const { THRESHOLDS } = await import("../../shared/admin/health.ts");
  const sql = connect();
  try {
    const providers = await sql<{ provider: string }[]>`
      select provider from public.provider_health`;
    const circuits = await sql<{ provider: string }[]>`
      select provider from public.provider_circuits`;
    const conditions = [
      "dead_letters",
      "backlog",
      "stale_message",
      "held_first_texts",
      "sms_budget_warning",
      "sms_budget_spent",
      ...CHANNELS.filter((c) => THRESHOLDS.successRatePct[c] !== undefined)
        .map((c) => `${c}_success_rate`),
      ...providers.map((p) => `${p.provider}_failures`),
      ...circuits.map((c) => `${c.provider}_failover`),
    ];
    const missing = conditions.filter((c) => !runbook.includes(`\`${c}\``));
    assert.deepEqual(missing, []);
  } finally {
    await sql.end();
  }
});
