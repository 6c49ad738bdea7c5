import assert from "node:assert/strict";
import { join } from "node:path";
import postgres from "postgres";
import {
  clusterUrl,
  ensureCluster,
  projectRoot,
  startCluster,
  stopCluster,
} from "../../supabase/local/cluster.ts";
import { preparePlatform } from "../../supabase/local/platform.ts";
import { cliDbUrl, pushMigrations, supabase } from "../../supabase/local/migrate.ts";

Deno.test("the migrations apply to an empty cluster with the Supabase CLI, and db lint finds no errors", async () => {
  const dir = join(projectRoot, ".local", `empty-${crypto.randomUUID().slice(0, 8)}`);
  const cluster = { dataDir: join(dir, "pg"), port: 54499, password: "postgres" };
  const url = clusterUrl(cluster);
  try {
    await ensureCluster(cluster);
    await startCluster(cluster);
    await preparePlatform(url);
    const output = await pushMigrations(url);
    const files = [...Deno.readDirSync(join(projectRoot, "supabase", "migrations"))].map((f) =>
      f.name
    ).sort();
    for (const file of files) assert.match(output, new RegExp(`Applying migration ${file}`));

    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const applied =
        await sql`select version from supabase_migrations.schema_migrations order by version`;
      assert.deepEqual(applied.map((r) => r.version), files.map((f) => f.split("_")[0]));
      const tables = await sql`
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`;
      assert.deepEqual(
        tables.map((t) => t.relname),
        [],
        "every public table has row level security enabled",
      );
      const uncommented = await sql`
        select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'v') and obj_description(c.oid, 'pg_class') is null`;
      assert.deepEqual(
        uncommented.map((t) => t.relname),
        [],
        "every public table and view has a comment",
      );
    } finally {
      await sql.end();
    }

    const again = await pushMigrations(url);
    assert.doesNotMatch(again, /Applying migration/, "a second push applies nothing");

    const lint = await supabase([
      "db",
      "lint",
      "--db-url",
      cliDbUrl(url),
      "--level",
      "error",
      "--fail-on",
      "error",
    ]);
    assert.match(lint, /No schema errors found/);
  } finally {
    await stopCluster(cluster);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
