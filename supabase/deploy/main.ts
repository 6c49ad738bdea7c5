/**
 * A first (or any) deploy to a hosted Supabase project, as the README's deploy section does it
 * by hand:
 *
 *   npm run deploy -- --project-ref <ref> [--env-file .env] [--dry-run]
 *
 * It checks the .env first (every function's variables, with their formats, and what a hosted
 * project refuses) and names each missing or malformed one; nothing runs while one is wrong.
 * Then link, db push, secrets set, the bundle-size check and one `functions deploy` per
 * function of supabase/config.toml, in that order, stopping at the first that fails. With
 * --dry-run it prints the checks and the commands and runs none. Values are never printed.
 */
import { parse as parseDotenv } from "dotenv";
import { join } from "node:path";
import { projectRoot } from "../local/cluster.ts";
import { readFunctionSpecs } from "../local/functions_host.ts";
import {
  afterDeploy,
  checkDeployEnv,
  deployedFunctions,
  type DeployStep,
  deploySteps,
  isProjectRef,
} from "./plan.ts";

interface Args {
  projectRef: string;
  envFile: string;
  dryRun: boolean;
}

const USAGE = "Usage: npm run deploy -- --project-ref <ref> [--env-file .env] [--dry-run]";

function parseArgs(argv: string[]): Args | string {
  let projectRef = "";
  let envFile = join(projectRoot, ".env");
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i] ?? "";
    if (flag === "--project-ref") projectRef = value();
    else if (flag === "--env-file") envFile = value();
    else if (flag === "--dry-run") dryRun = true;
    else return `Unknown argument "${argv[i]}". ${USAGE}`;
  }
  if (!projectRef) return `--project-ref is missing. ${USAGE}`;
  if (!isProjectRef(projectRef)) {
    return `--project-ref "${projectRef}" is not a project ref (20 lowercase letters, as in ` +
      "https://<ref>.supabase.co; Project Settings → General).";
  }
  return { projectRef, envFile, dryRun };
}

/** The .env's values as `supabase secrets set --env-file` reads them, empty ones left out. */
function secretsFileText(env: Record<string, string>): string {
  return Object.entries(env).filter(([, v]) => v !== "")
    .map(([name, v]) =>
      // Single quotes are literal to the CLI's dotenv reader (no ${…} expansion).
      v.includes("'") || v.includes("\n")
        ? `${name}="${v.replace(/[\\"$]/g, "\\$&").replace(/\n/g, "\\n")}"`
        : `${name}='${v}'`
    ).join("\n") + "\n";
}

function show(step: DeployStep, i: number): string {
  return `  ${i + 1}. ${step.title}\n     $ ${
    step.argv.map((a) => a.startsWith(projectRoot) ? a.slice(projectRoot.length + 1) : a)
      .join(" ")
  }`;
}

async function run(step: DeployStep): Promise<number> {
  const { code } = await new Deno.Command(step.argv[0], {
    args: step.argv.slice(1),
    cwd: projectRoot,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === "string") {
    console.error(args);
    return 2;
  }
  let env: Record<string, string>;
  try {
    env = parseDotenv(await Deno.readTextFile(args.envFile));
  } catch (err) {
    console.error(
      `Cannot read ${args.envFile} (${(err as Error).message}): ` +
        'cp .env.example .env and fill it in first (README, "Deploying to a hosted Supabase project").',
    );
    return 1;
  }
  const problems = checkDeployEnv(env, args.projectRef);
  console.log(`Checking ${args.envFile} for project ${args.projectRef}:`);
  if (problems.length === 0) {
    console.log(
      "  ok: every function's variables are set and well-formed; none is a local default.",
    );
  }
  for (const p of problems) {
    console.log(
      `  ✗ ${p.name} ${p.problem}${
        p.functions.length ? ` (${p.functions.join(", ")} would not start)` : ""
      }`,
    );
  }

  const functions = deployedFunctions((await readFunctionSpecs()).map((f) => f.name), env);
  const secretNames = Object.keys(env).filter((n) => env[n] !== "");
  const secretsFile = args.dryRun || problems.length > 0
    ? `<a temporary file of the ${secretNames.length} values set in ${args.envFile}>`
    : await Deno.makeTempFile({ prefix: "leadwire-secrets-", suffix: ".env" });
  const steps = deploySteps({
    projectRef: args.projectRef,
    functions,
    supabase: join(projectRoot, "node_modules", ".bin", "supabase"),
    deno: join(projectRoot, "node_modules", ".bin", "deno"),
    secretsFile,
    secretNames,
  });
  const header = problems.length > 0
    ? `Refused: fix the ${problems.length} problem(s) above in ${args.envFile}. The steps, once they pass:`
    : args.dryRun
    ? "Dry run; the steps, none run:"
    : "Deploying:";
  console.log(`\n${header}\n${steps.map(show).join("\n")}`);
  if (problems.length > 0) return 1;
  if (args.dryRun) {
    console.log(`\nThen, by hand:\n${afterDeploy(args.projectRef, env).join("\n")}`);
    return 0;
  }

  try {
    await Deno.chmod(secretsFile, 0o600);
    await Deno.writeTextFile(secretsFile, secretsFileText(env));
    for (const [i, step] of steps.entries()) {
      console.log(`\n${show(step, i)}`);
      const code = await run(step);
      if (code !== 0) {
        console.error(`Step ${i + 1} (${step.title}) failed with exit code ${code}; stopped.`);
        return code;
      }
    }
  } finally {
    await Deno.remove(secretsFile).catch(() => {});
  }
  console.log(`\nDeployed. Then, by hand:\n${afterDeploy(args.projectRef, env).join("\n")}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
