/**
 * The lead-photos bucket comes with the migrations: on a database with Supabase Storage the
 * migration creates it private, for images up to 10 MB, once however often it runs; without
 * Storage (the local stack's database) it changes nothing. Storage's own table is stood in by
 * one with the columns the migration writes, inside a transaction rolled back after.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";

await requireStack();

const MIGRATION = new URL(
  "../../supabase/migrations/20261207001500_lead_photos_bucket.sql",
  import.meta.url,
);

/** Thrown to roll the transaction back once the test has looked. */
class RolledBack extends Error {}

Deno.test("the lead-photos bucket is created private for images up to 10 MB where Storage exists, once", async () => {
  const migration = await Deno.readTextFile(MIGRATION);
  const sql = connect();
  try {
    const [{ exists }] = await sql`select to_regclass('storage.buckets') is not null as exists`;
    assert.equal(exists, false, "the local database has no Storage of its own");
    await assert.rejects(
      sql.begin(async (tx) => {
        await tx.unsafe(`
          create schema storage;
          create table storage.buckets (
            id text primary key, name text not null, public boolean default false,
            file_size_limit bigint, allowed_mime_types text[])`);
        await tx.unsafe(migration);
        await tx.unsafe(migration);
        const buckets = await tx`select * from storage.buckets`;
        assert.equal(buckets.length, 1);
        assert.equal(buckets[0].id, "lead-photos");
        assert.equal(buckets[0].public, false);
        assert.equal(Number(buckets[0].file_size_limit), 10 * 1024 * 1024);
        assert.ok(buckets[0].allowed_mime_types.includes("image/jpeg"));
        assert.ok(buckets[0].allowed_mime_types.includes("image/heic"));
        throw new RolledBack();
      }),
      RolledBack,
    );
  } finally {
    await sql.end();
  }
});
