/**
 * Makes a plain PostgreSQL look enough like a Supabase project for our migrations:
 * Supabase's roles and schemas, and stand-ins for pg_net and Vault where the real
 * extensions are not available. Every step is idempotent.
 */
import postgres from "postgres";
import { join } from "node:path";
import { projectRoot } from "./cluster.ts";

const platformDir = join(projectRoot, "supabase", "local", "platform");

export interface PlatformReport {
  pgNet: "extension" | "stand-in";
  vault: "extension" | "stand-in";
}

async function available(sql: postgres.Sql, extension: string) {
  const rows = await sql`select 1 from pg_available_extensions where name = ${extension}`;
  return rows.length > 0;
}

async function runFile(sql: postgres.Sql, file: string) {
  await sql.file(join(platformDir, file));
}

/** Installs roles, schemas and the pg_net / Vault stand-ins (only where the real ones are missing). */
export async function preparePlatform(dbUrl: string): Promise<PlatformReport> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await runFile(sql, "supabase_roles.sql");
    let pgNet: PlatformReport["pgNet"] = "stand-in";
    if (await available(sql, "pg_net")) {
      await sql`create extension if not exists pg_net with schema extensions`;
      pgNet = "extension";
    } else {
      await runFile(sql, "pg_net_standin.sql");
    }
    let vault: PlatformReport["vault"] = "stand-in";
    if (await available(sql, "supabase_vault")) {
      await sql`create extension if not exists supabase_vault with schema vault`;
      vault = "extension";
    } else {
      await runFile(sql, "vault_standin.sql");
    }
    return { pgNet, vault };
  } finally {
    await sql.end();
  }
}

/**
 * Gives each function's login role its local password, as the admin does on a hosted project
 * (README, "Database roles"); the migration that creates the roles sets none.
 */
export async function setFunctionRolePasswords(
  dbUrl: string,
  logins: { role: string; password: string }[],
) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    for (const { role, password } of logins) {
      // ALTER ROLE takes no parameters: PostgreSQL quotes the name and the password itself.
      const [{ statement }] = await sql<{ statement: string }[]>`
        select format('alter role %I password %L', ${role}::text, ${password}::text) as statement`;
      await sql.unsafe(statement);
    }
  } finally {
    await sql.end();
  }
}

/** Creates or updates a Vault secret by name (vault.create_secret / vault.update_secret). */
export async function upsertVaultSecret(dbUrl: string, name: string, value: string) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select id from vault.decrypted_secrets where name = ${name}`;
    if (row) await sql`select vault.update_secret(${row.id}, ${value})`;
    else await sql`select vault.create_secret(${value}, ${name})`;
  } finally {
    await sql.end();
  }
}
