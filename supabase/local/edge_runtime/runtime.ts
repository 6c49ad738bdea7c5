/**
 * The emulated edge runtime's fixed facts: which Deno runs user workers (the one Supabase's
 * edge runtime embeds, pinned in package.json as `edge-runtime-deno`, the one place to bump when
 * Supabase upgrades) and the per-worker limits a hosted project gives them.
 */
import { join } from "node:path";
import { projectRoot } from "../cluster.ts";

/** The Deno of Supabase's edge runtime (npm `@deno/linux-x64-glibc`, aliased in package.json). */
export const EDGE_DENO = Deno.env.get("EDGE_RUNTIME_DENO") ??
  join(projectRoot, "node_modules", "edge-runtime-deno", "deno");

/** Where the runtime's Deno keeps its downloads and compiled modules (not the stack's). */
export const EDGE_DENO_DIR = join(projectRoot, ".local", "edge-runtime", "deno");

/**
 * A function's module graph as of the stack's start, npm versions resolved: its workers load it
 * frozen, as a deployed function loads its bundle's (it also spares each boot the npm resolution
 * a bundle never does). One per function, as each deploy bundles only what it imports.
 */
export function lockFile(name: string): string {
  return join(projectRoot, ".local", "edge-runtime", "locks", `${name}.lock`);
}

/** A worker's limits. Each can be overridden for a test or a benchmark. */
export interface WorkerLimits {
  /** CPU time after which the worker is retired (no new requests). */
  cpuSoftMs: number;
  /** CPU time after which the worker is terminated at once. */
  cpuHardMs: number;
  /** V8 heap plus ArrayBuffers. */
  memoryMb: number;
  /** Life of a worker, from its start. */
  wallClockMs: number;
}

/**
 * The hosted figures (per_worker policy): CPU 1 s soft / 2 s hard, 256 MB, and the Free plan's
 * 150 s wall clock (`supabase functions serve` gives 400 s, the paid plans' figure).
 */
export const HOSTED_LIMITS: WorkerLimits = {
  cpuSoftMs: 1_000,
  cpuHardMs: 2_000,
  memoryMb: 256,
  wallClockMs: 150_000,
};

/** Variables the stack's environment may set for a limit (a benchmark's, say). */
const LIMIT_VARIABLES: Record<keyof WorkerLimits, string> = {
  cpuSoftMs: "EDGE_RUNTIME_CPU_SOFT_MS",
  cpuHardMs: "EDGE_RUNTIME_CPU_HARD_MS",
  memoryMb: "EDGE_RUNTIME_MEMORY_MB",
  wallClockMs: "EDGE_RUNTIME_WALL_CLOCK_MS",
};

/** The hosted limits, with any the environment overrides. */
export function limitsFromEnv(env: Record<string, string | undefined>): WorkerLimits {
  const limits = { ...HOSTED_LIMITS };
  for (const [key, variable] of Object.entries(LIMIT_VARIABLES)) {
    const value = env[variable];
    if (value === undefined || value === "") continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) {
      throw new Error(`${variable} must be a positive whole number, not "${value}"`);
    }
    limits[key as keyof WorkerLimits] = n;
  }
  if (limits.cpuHardMs < limits.cpuSoftMs) {
    throw new Error("EDGE_RUNTIME_CPU_HARD_MS must not be below EDGE_RUNTIME_CPU_SOFT_MS");
  }
  return limits;
}

export function describeLimits(l: WorkerLimits): string {
  return `per_worker: CPU ${l.cpuSoftMs} ms soft / ${l.cpuHardMs} ms hard, ${l.memoryMb} MB, ` +
    `wall clock ${l.wallClockMs / 1000} s`;
}

/** The runtime's Deno version line, e.g. "deno 2.1.4". Throws when it is not installed. */
export async function edgeDenoVersion(): Promise<string> {
  try {
    const out = await new Deno.Command(EDGE_DENO, { args: ["--version"] }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0].replace(/ \(.*$/, "");
  } catch {
    throw new Error(
      `The edge runtime's Deno is missing at ${EDGE_DENO}. Run \`npm ci\` (on Linux x64), or ` +
        "point EDGE_RUNTIME_DENO at a Deno 2.1.4 binary.",
    );
  }
}

/** How the runtime's Deno is given a function's config: a deno.json, or an import map. */
export function configArgs(config: string | null): string[] {
  if (config === null) return ["--no-config"];
  return /deno\.jsonc?$/.test(config)
    ? ["--config", config]
    : ["--no-config", "--import-map", config];
}

/**
 * Downloads and compiles what each function imports, as a deploy bundles it: a worker then
 * boots from that (its `--cached-only` never fetches), so a missing package fails here, at
 * start, rather than as a boot error later.
 */
export async function cacheFunctions(
  functions: { name: string; entrypoint: string; config: string | null }[],
  worker: string,
) {
  for (const f of functions) {
    await Deno.remove(lockFile(f.name)).catch(() => {});
    const out = await new Deno.Command(EDGE_DENO, {
      args: [
        "cache",
        `--lock=${lockFile(f.name)}`,
        ...configArgs(f.config),
        worker,
        f.entrypoint,
      ],
      env: { DENO_DIR: EDGE_DENO_DIR, DENO_TLS_CA_STORE: "system", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `The edge runtime's Deno could not load ${f.name} (${f.entrypoint}):\n` +
          new TextDecoder().decode(out.stderr),
      );
    }
  }
  await trimNpmMetadata();
}

/**
 * Keeps, in each npm package's cached registry metadata, only the versions on disk. A deployed
 * bundle carries its npm snapshot; Deno 2.1.4 without one parses every package's whole
 * metadata at each boot (all versions ever published: 200 ms of CPU for notify-lead's 109
 * packages, a fifth of a worker's budget), which no hosted worker pays. A version not kept is
 * fetched again by the next `deno cache` that needs it.
 */
async function trimNpmMetadata() {
  const registry = join(EDGE_DENO_DIR, "npm", "registry.npmjs.org");
  const packages = async function* (dir: string): AsyncGenerator<string> {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith("@")) yield* packages(path);
      else yield path;
    }
  };
  for await (const dir of packages(registry)) {
    const file = join(dir, "registry.json");
    let meta: { versions?: Record<string, unknown> };
    try {
      meta = JSON.parse(await Deno.readTextFile(file));
    } catch {
      continue;
    }
    const onDisk = new Set<string>();
    for await (const entry of Deno.readDir(dir)) if (entry.isDirectory) onDisk.add(entry.name);
    const versions = Object.entries(meta.versions ?? {}).filter(([v]) => onDisk.has(v));
    if (versions.length === Object.keys(meta.versions ?? {}).length) continue;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ ...meta, versions: Object.fromEntries(versions) }),
    );
  }
}

/**
 * Type-checks every function with the runtime's Deno: its TypeScript and lib differ from the
 * stack's (an API newer than Deno 2.1.4 is an error here, not a crash in production). Returns
 * the checker's output when it fails, null when all is well.
 */
export async function typeCheckFunctions(
  functions: { name: string; entrypoint: string; config: string | null }[],
): Promise<string | null> {
  for (const f of functions) {
    const out = await new Deno.Command(EDGE_DENO, {
      args: [
        "check",
        // Not the worker's frozen lock: checking also resolves type packages (@types/node).
        "--no-lock",
        ...configArgs(f.config),
        f.entrypoint,
      ],
      env: { DENO_DIR: EDGE_DENO_DIR, DENO_TLS_CA_STORE: "system", NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return `${f.name}:\n${new TextDecoder().decode(out.stderr)}`;
  }
  return null;
}
