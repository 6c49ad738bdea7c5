/**
 * `npm test`: starts a fresh test stack (own cluster and ports), runs every test file
 * against it with `deno test`, stops the stack and ends with the plain summary line
 * "N passed, N failed". Stack logs go to .local/test/stack.log.
 */
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";
import { startStack } from "./stack.ts";

const logPath = join(projectRoot, ".local", "test-stack.log");
const junitPath = join(projectRoot, ".local", "junit.xml");
await Deno.mkdir(join(projectRoot, ".local"), { recursive: true });
const logFile = await Deno.open(logPath, { create: true, write: true, truncate: true });
const encoder = new TextEncoder();

const stack = await startStack({
  mode: "test",
  fresh: true,
  log: (line) => logFile.writeSync(encoder.encode(line + "\n")),
});

const targets = Deno.args.length > 0 ? Deno.args : ["tests/unit", "tests/integration", "tests/e2e"];
const run = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", `--junit-path=${junitPath}`, ...targets],
  cwd: projectRoot,
  env: { LEADWIRE_STACK: "test" },
  stdout: "inherit",
  stderr: "inherit",
}).output();

await stack.stop();
logFile.close();

let passed = 0;
let failed = 0;
try {
  const xml = await Deno.readTextFile(junitPath);
  for (const testcase of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/<failure\b/.test(testcase[2] ?? "")) failed++;
    else if (!/<skipped\b/.test(testcase[2] ?? "")) passed++;
  }
} catch {
  failed = Math.max(failed, 1); // no report: the runner itself failed
}
if (!run.success && failed === 0) failed = 1; // e.g. a type error stopped the run before any test
console.log(`\nstack log: ${logPath}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failed > 0 ? 1 : 0);
