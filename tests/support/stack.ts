/**
 * Where the running test stack is (started by `npm test`, or by `npm run stack:test` to run
 * one test file alone), and a database connection to it.
 */
import postgres from "postgres";
import { PORTS, type StackMode } from "../../supabase/local/ports.ts";
import { LOCAL_ANON_KEY, LOCAL_SERVICE_ROLE_KEY } from "../../supabase/local/local_env.ts";
import { projectRoot, restartCluster } from "../../supabase/local/cluster.ts";
import { join } from "node:path";

const mode = (Deno.env.get("LEADWIRE_STACK") ?? "test") as StackMode;
const ports = PORTS[mode];

export const stack = {
  apiUrl: `http://127.0.0.1:${ports.api}`,
  functionsUrl: `http://127.0.0.1:${ports.api}/functions/v1`,
  dbUrl: `postgresql://postgres:postgres@127.0.0.1:${ports.db}/postgres`,
  twilioUrl: `http://127.0.0.1:${ports.twilio}`,
  resendUrl: `http://127.0.0.1:${ports.resend}`,
  sendgridUrl: `http://127.0.0.1:${ports.sendgrid}`,
  webhookUrl: `http://127.0.0.1:${ports.webhooks}`,
  turnstileUrl: `http://127.0.0.1:${ports.turnstile}`,
  inboxUrl: `http://127.0.0.1:${ports.inbox}`,
  anonKey: LOCAL_ANON_KEY,
  serviceRoleKey: LOCAL_SERVICE_ROLE_KEY,
};

/** A connection pool to the stack's database as the superuser (what the dashboard uses). */
export function connect(opts: { max?: number } = {}) {
  return postgres(stack.dbUrl, {
    max: opts.max ?? 4,
    onnotice: () => {},
    connect_timeout: 5,
    // Tests that drop the stack's connections leave their own alone.
    connection: { application_name: TEST_APPLICATION_NAME },
  });
}

/** The application_name of the tests' own connections. */
export const TEST_APPLICATION_NAME = "leadwire-tests";

/** Fails with a clear message when no stack runs, instead of a wall of connection errors. */
export async function requireStack() {
  const sql = connect({ max: 1 });
  try {
    await sql`select 1`;
  } catch {
    throw new Error(
      `No ${mode} stack at ${stack.dbUrl}. Run the whole suite with \`npm test\`, ` +
        "or start the test stack with `npm run stack:test` to run one file alone.",
    );
  } finally {
    await sql.end();
  }
}

/** Restarts the stack's PostgreSQL ("fast": an operator's restart; "immediate": a crash). */
export async function restartPostgres(how: "fast" | "immediate") {
  await restartCluster({ dataDir: join(projectRoot, ".local", mode, "pg") }, how);
}
