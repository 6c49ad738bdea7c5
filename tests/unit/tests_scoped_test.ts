/**
 * The suite's own convention, checked: a test against the stack counts only rows it made
 * (other tests' delayed work keeps writing while it runs). Every `count(*)` in tests/e2e and
 * tests/integration names something of the test's own in its query (a `${…}` parameter: its
 * lead, phone, key, MessageSid or a starting id), and no test compares a fake's whole list
 * with its length earlier. A read that is global on purpose says so with `global:` and why.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const roots = ["../e2e/", "../integration/", "../support/"].map((dir) =>
  fileURLToPath(new URL(dir, import.meta.url))
);

async function testSources(): Promise<{ path: string; text: string }[]> {
  const files = [];
  for (const root of roots) {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      files.push({ path: root + entry.name, text: await Deno.readTextFile(root + entry.name) });
    }
  }
  return files;
}

/** The tagged sql`…` templates of a source (no nested backticks in ours). */
function sqlTemplates(text: string): { query: string; line: number }[] {
  return [...text.matchAll(/\b(?:sql|tx|admin)`([^`]*)`/g)].map((m) => ({
    query: m[1],
    line: text.slice(0, m.index).split("\n").length,
  }));
}

/** Marked global on purpose: `global:` in the query or on one of the 3 lines before it. */
function markedGlobal(text: string, line: number, query: string): boolean {
  const before = text.split("\n").slice(Math.max(0, line - 4), line).join("\n");
  return /global:/.test(query) || /global:/.test(before);
}

Deno.test("every count(*) in a stack test is scoped by a value of the test's own", async () => {
  const unscoped: string[] = [];
  for (const { path, text } of await testSources()) {
    for (const { query, line } of sqlTemplates(text)) {
      if (!/count\(\*\)/i.test(query)) continue;
      const scoped = /\bwhere\b[\s\S]*\$\{/i.test(query);
      if (!scoped && !markedGlobal(text, line, query)) unscoped.push(`${path}:${line}`);
    }
  }
  assert.deepEqual(unscoped, [], "count only rows the test made, or mark the read global:");
});

Deno.test("no stack test compares the length of a fake's whole list", async () => {
  const whole = /\(await (?:resend|twilio|webhooks|turnstile)\.\w+\(\)\)\.length/;
  const found: string[] = [];
  for (const { path, text } of await testSources()) {
    text.split("\n").forEach((line, i) => {
      if (whole.test(line) && !markedGlobal(text, i + 1, line)) found.push(`${path}:${i + 1}`);
    });
  }
  assert.deepEqual(found, [], "filter a fake's list by the test's own phone, email or Ref");
});

Deno.test("the check finds an unscoped count and accepts a scoped one", () => {
  const [unscoped, scoped] = sqlTemplates(
    "sql`select count(*) from public.leads`; sql`select count(*) from x where id = ${id}`",
  );
  assert.equal(/\bwhere\b[\s\S]*\$\{/i.test(unscoped.query), false);
  assert.equal(/\bwhere\b[\s\S]*\$\{/i.test(scoped.query), true);
});
