/**
 * The Supabase Storage client our functions use: supabase-js with the service-role key and
 * no session handling (a function has no user session to persist or refresh).
 */
import { createClient } from "@supabase/supabase-js";

export interface StorageClientOptions {
  /** The project URL, e.g. `http://127.0.0.1:54321`; storage lives under `/storage/v1`. */
  supabaseUrl: string;
  serviceRoleKey: string;
}

/** Returns supabase-js's storage client (`.from(bucket).upload(...)`, `.createSignedUrl(...)`). */
export function createStorageClient(opts: StorageClientOptions) {
  const client = createClient(opts.supabaseUrl, opts.serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  return client.storage;
}

export type StorageClient = ReturnType<typeof createStorageClient>;
