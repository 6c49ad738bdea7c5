/**
 * Secret values this repository publishes: the local stack's defaults, its fakes' credentials
 * and Supabase's local demo keys. Anyone can read them here, so a deployed function must never
 * accept one: config.ts refuses to start with any of them outside a local stack. The local
 * stack takes its defaults from this list, so the two cannot drift apart.
 */
export const PUBLISHED_SECRETS = {
  NOTIFY_WEBHOOK_SECRET: "local-notify-webhook-secret-not-for-production",
  LEAD_ACTION_SECRET: "local-lead-action-secret-not-for-production",
  /** base64 of "local-resend-webhook-secret-not-for-production". */
  RESEND_WEBHOOK_SECRET: "whsec_bG9jYWwtcmVzZW5kLXdlYmhvb2stc2VjcmV0LW5vdC1mb3ItcHJvZHVjdGlvbg==",
  RESEND_API_KEY: "re_local_fake_key_for_the_local_stack",
  SENDGRID_API_KEY: "SG.local-fake-key.for-the-local-stack",
  TWILIO_AUTH_TOKEN: "local_fake_twilio_auth_token",
  /** Supabase's well-known local demo keys (the CLI prints the same ones). */
  SUPABASE_ANON_KEY:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0",
  SUPABASE_SERVICE_ROLE_KEY:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU",
} as const;

const published = new Set<string>(Object.values(PUBLISHED_SECRETS));

/**
 * Hosts a function sees as SUPABASE_URL on a developer's machine: loopback (this repo's
 * stack), and the Supabase CLI's own (`kong` inside its Docker network).
 */
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "kong", "host.docker.internal"]);

/** True when SUPABASE_URL is a developer's local stack, not a hosted project. */
export function isLocalStack(supabaseUrl: string | undefined): boolean {
  if (!supabaseUrl) return false;
  try {
    return LOCAL_HOSTS.has(new URL(supabaseUrl).hostname);
  } catch {
    return false;
  }
}

/** The variables of `env` whose value is one this repository publishes. */
export function publishedSecretsIn(env: Record<string, string | undefined>): string[] {
  return Object.entries(env).filter(([, value]) => value !== undefined && published.has(value))
    .map(([name]) => name).sort();
}
