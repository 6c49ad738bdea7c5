/**
 * Applies supabase/migrations with the real Supabase CLI, as `supabase db push` does
 * against a hosted project.
 */
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";

export const supabaseCli = join(projectRoot, "node_modules", ".bin", "supabase");

/** Runs the Supabase CLI in the project root and returns its combined output; throws on failure. */
export async function supabase(args: string[]): Promise<string> {
  const out = await new Deno.Command(supabaseCli, {
    args,
    cwd: projectRoot,
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", CI: "true" },
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`supabase ${args.join(" ")} failed (exit ${out.code}):\n${text}`);
  }
  return text;
}

/** The local cluster speaks no TLS; the CLI must be told so (it tries TLS first otherwise). */
export function cliDbUrl(dbUrl: string): string {
  const url = new URL(dbUrl);
  if (["127.0.0.1", "localhost"].includes(url.hostname) && !url.searchParams.has("sslmode")) {
    url.searchParams.set("sslmode", "disable");
  }
  return url.href;
}

export function pushMigrations(dbUrl: string, opts: { includeSeed?: boolean } = {}) {
  const args = ["db", "push", "--db-url", cliDbUrl(dbUrl), "--yes"];
  if (opts.includeSeed) args.push("--include-seed");
  return supabase(args);
}
