/**
 * A project-owned PostgreSQL 15 cluster with pg_cron preloaded: the local
 * stand-in for a Supabase project's database. PostgreSQL refuses to run as
 * root, so when we are root the cluster belongs to the `postgres` user.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ClusterOptions {
  /** Data directory; created by initdb on first use. */
  dataDir: string;
  port: number;
  /** Password of the `postgres` superuser (Supabase's local default is "postgres"). */
  password: string;
}

const PG_BIN = Deno.env.get("PG_BIN") ?? "/usr/lib/postgresql/15/bin";
const isRoot = Deno.uid() === 0;

/** Runs a PostgreSQL binary as the user allowed to own the cluster. */
async function runPg(binary: string, args: string[], opts: { quiet?: boolean } = {}) {
  const exe = join(PG_BIN, binary);
  const cmd = isRoot
    ? new Deno.Command("runuser", { args: ["-u", "postgres", "--", exe, ...args] })
    : new Deno.Command(exe, { args });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && !opts.quiet) {
    throw new Error(`${binary} ${args.join(" ")} failed (exit ${out.code}):\n${text}`);
  }
  return { success: out.success, text };
}

async function exists(path: string) {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Gives the postgres user the directory (and lets it walk to it). */
async function handToPostgres(dir: string) {
  if (!isRoot) return;
  await new Deno.Command("chown", { args: ["-R", "postgres:postgres", dir] }).output();
  // Every parent must be traversable by the cluster's owner.
  let parent = dirname(dir);
  while (parent !== dirname(parent)) {
    const info = await Deno.stat(parent);
    if (((info.mode ?? 0) & 0o001) === 0) await Deno.chmod(parent, (info.mode ?? 0o755) | 0o001);
    parent = dirname(parent);
  }
}

/** Creates the cluster if its data directory is empty. Returns true when it was created now. */
export async function ensureCluster(opts: ClusterOptions): Promise<boolean> {
  if (await exists(join(opts.dataDir, "PG_VERSION"))) return false;
  await Deno.mkdir(opts.dataDir, { recursive: true });
  await Deno.chmod(opts.dataDir, 0o700);
  const pwFile = join(dirname(opts.dataDir), ".pg_password");
  await Deno.writeTextFile(pwFile, opts.password + "\n");
  await handToPostgres(dirname(opts.dataDir));
  await runPg("initdb", [
    "-D",
    opts.dataDir,
    "-U",
    "postgres",
    "--pwfile",
    pwFile,
    "-E",
    "UTF8",
    "--locale",
    "C.UTF-8",
    "--auth-host",
    "scram-sha-256",
    "--auth-local",
    "trust",
  ]);
  await Deno.remove(pwFile);
  const conf = [
    "# leadwire local stack: a stand-in for a Supabase project's database",
    "listen_addresses = '127.0.0.1'",
    `port = ${opts.port}`,
    "unix_socket_directories = ''",
    "shared_preload_libraries = 'pg_cron'",
    "cron.database_name = 'postgres'",
    "cron.use_background_workers = on",
    "max_worker_processes = 32",
    "timezone = 'UTC'",
    "log_min_messages = warning",
    "",
  ].join("\n");
  const confPath = join(opts.dataDir, "postgresql.conf");
  await Deno.writeTextFile(confPath, conf, { append: true });
  return true;
}

/** Starts the cluster unless it already runs; waits until it accepts connections. */
export async function startCluster(opts: ClusterOptions): Promise<void> {
  const status = await runPg("pg_ctl", ["status", "-D", opts.dataDir], { quiet: true });
  if (status.success) return;
  const log = join(dirname(opts.dataDir), "postgres.log");
  if (isRoot && !(await exists(log))) {
    await Deno.writeTextFile(log, "");
    await new Deno.Command("chown", { args: ["postgres:postgres", log] }).output();
  }
  await runPg("pg_ctl", ["start", "-w", "-t", "60", "-D", opts.dataDir, "-l", log]);
}

export async function stopCluster(opts: Pick<ClusterOptions, "dataDir">): Promise<void> {
  await runPg("pg_ctl", ["stop", "-m", "fast", "-w", "-D", opts.dataDir], { quiet: true });
}

/**
 * Restarts the cluster as an operator or a failover would: "fast" ends every session and
 * checkpoints; "immediate" is a crash (the restart replays the WAL). Waits until it accepts
 * connections again.
 */
export async function restartCluster(
  opts: Pick<ClusterOptions, "dataDir">,
  mode: "fast" | "immediate",
): Promise<void> {
  const log = join(dirname(opts.dataDir), "postgres.log");
  await runPg("pg_ctl", ["restart", "-m", mode, "-w", "-t", "60", "-D", opts.dataDir, "-l", log]);
}

export function clusterUrl(opts: Pick<ClusterOptions, "port" | "password">, database = "postgres") {
  return `postgresql://postgres:${
    encodeURIComponent(opts.password)
  }@127.0.0.1:${opts.port}/${database}`;
}

/** The project root: the folder holding supabase/. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
