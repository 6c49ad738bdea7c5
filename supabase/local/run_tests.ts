/**
 * `npm test`: starts a fresh test stack (own cluster and ports), runs every test file
 * against it with `deno test` (the unit tests, which need no stack, while it starts), stops
 * the stack and ends with the plain summary line "N passed, N failed". Stack logs go to
 * .local/test/stack.log.
 */
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";
import { startStack } from "./stack.ts";
import { typeCheckFunctions } from "./edge_runtime/runtime.ts";
import { readFunctionSpecs } from "./functions_host.ts";

const logPath = join(projectRoot, ".local", "test-stack.log");
await Deno.mkdir(join(projectRoot, ".local"), { recursive: true });
const logFile = await Deno.open(logPath, { create: true, write: true, truncate: true });
const encoder = new TextEncoder();

const targets = Deno.args.length > 0 ? Deno.args : ["tests/unit", "tests/integration", "tests/e2e"];
// The unit tests need no stack: they run while it starts (their report is printed first).
const unitFirst = Deno.args.length === 0 ? runDenoTest(["tests/unit"], { buffered: true }) : null;
const stackTargets = unitFirst ? targets.filter((t) => t !== "tests/unit") : targets;

const stack = await startStack({
  mode: "test",
  fresh: true,
  log: (line) => logFile.writeSync(encoder.encode(line + "\n")),
});

// The functions as the edge runtime's Deno types them (the stack has cached their graphs).
const typeErrors = await typeCheckFunctions(await readFunctionSpecs());
if (typeErrors) {
  await stack.stop();
  console.error(`The functions do not type-check under the edge runtime's Deno:\n${typeErrors}`);
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}

const unit = unitFirst ? await unitFirst : null;
if (unit) await Deno.stdout.write(encoder.encode(unit.output));
const rest = await runDenoTest(stackTargets, { buffered: false });

await stack.stop();
logFile.close();

const runs = unit ? [unit, rest] : [rest];
const passed = runs.reduce((n, r) => n + r.passed, 0);
const failed = runs.reduce((n, r) => n + r.failed, 0);
console.log(`\nstack log: ${logPath}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(runs.every((r) => r.success) && failed === 0 ? 0 : 1);

/**
 * `deno test -A <targets>`: its report streamed through (or kept, `buffered`, to print later) and
 * its closing line read: "ok | 60 passed (134 steps) | 0 failed".
 */
async function runDenoTest(args: string[], opts: { buffered: boolean }) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", ...args],
    cwd: projectRoot,
    env: { LEADWIRE_STACK: "test", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let output = "";
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    if (opts.buffered) output += text;
    else await Deno.stdout.write(chunk);
    tail = (tail + text).slice(-4000);
  }
  const status = await child.status;
  const summary = [...tail.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
  return {
    output,
    success: status.success,
    passed: summary ? Number(summary[1]) : 0,
    // No summary means the run stopped before any test (a type error, say): that is a failure.
    failed: summary ? Number(summary[2]) : 1,
  };
}
