/**
 * `npm test`: starts a fresh test stack (own cluster and ports), runs every test file
 * against it with `deno test`, stops the stack and ends with the plain summary line
 * "N passed, N failed". Stack logs go to .local/test/stack.log.
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

const targets = Deno.args.length > 0 ? Deno.args : ["tests/unit", "tests/integration", "tests/e2e"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", ...targets],
  cwd: projectRoot,
  env: { LEADWIRE_STACK: "test", NO_COLOR: "1" },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// Stream deno's report through, keeping its closing line: "ok | 60 passed (134 steps) | 0 failed".
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
const status = await child.status;

await stack.stop();
logFile.close();

const summary = [...tail.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
const passed = summary ? Number(summary[1]) : 0;
// No summary means the run stopped before any test (a type error, say): that is a failure.
const failed = summary ? Number(summary[2]) : 1;
console.log(`\nstack log: ${logPath}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(status.success && failed === 0 ? 0 : 1);
