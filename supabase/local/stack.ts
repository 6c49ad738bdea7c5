/**
 * The local stack: everything a hosted Supabase project gives leadwire, on one machine
 * without Docker. `npm start` runs it in the foreground (dev ports); the test runner
 * starts the same stack on its own ports with a fresh cluster.
 *
 *   PostgreSQL 15 + pg_cron ........ db port (54322)
 *   pg_net + Vault stand-ins ........ in that database, plus the pg_net worker here
 *   migrations ...................... applied by the real Supabase CLI (db push)
 *   functions + Storage fake ........ api port (54321): /functions/v1/<name>, /storage/v1;
 *                                     the functions run in a child process (54328)
 *   Twilio fake, Resend fake, inbox . their own ports
 */
import { join } from "node:path";
import postgres from "postgres";
import { clusterUrl, ensureCluster, projectRoot, startCluster, stopCluster } from "./cluster.ts";
import { preparePlatform, setFunctionRolePasswords, upsertVaultSecret } from "./platform.ts";
import { pushMigrations } from "./migrate.ts";
import { startPgNetWorker } from "./pg_net_worker.ts";
import { startGateway } from "./gateway.ts";
import { startFakes } from "./fakes/mod.ts";
import {
  developerEnv,
  FAKE_RESEND_API_KEY,
  FAKE_SENDGRID_API_KEY,
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_AUTH_TOKEN,
  fakeTwilioNumber,
  functionEnv,
  functionRole,
  LOCAL_ANON_KEY,
  LOCAL_SERVICE_ROLE_KEY,
  resendWebhookSecret,
  usesRealResend,
  usesRealSendGrid,
  usesRealTwilio,
} from "./local_env.ts";
import { maskPII } from "../../shared/platform/mask.ts";
import { FUNCTION_DB_URL_VARIABLES, type FunctionName } from "../../shared/platform/config.ts";
import { PORTS, type StackMode } from "./ports.ts";
import { runDemo } from "./demo.ts";
import { readFunctionSpecs } from "./functions_host.ts";
import { WORKER_SCRIPT } from "./edge_runtime/supervisor.ts";
import {
  cacheFunctions,
  describeLimits,
  edgeDenoVersion,
  limitsFromEnv,
} from "./edge_runtime/runtime.ts";

export interface StackOptions {
  mode: StackMode;
  /** Throw away the cluster and start from an empty database. */
  fresh?: boolean;
  /** Where request logs go (default: dropped). */
  log?: (line: string) => void;
}

export interface Stack {
  apiUrl: string;
  dbUrl: string;
  twilioUrl: string;
  resendUrl: string;
  sendgridUrl: string;
  webhookUrl: string;
  inboxUrl: string;
  functionsEnv: Record<string, string>;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

export async function startStack(opts: StackOptions): Promise<Stack> {
  const ports = PORTS[opts.mode];
  const say = (line: string) => console.log(`[stack] ${line}`);
  const log = (line: string) => opts.log?.(maskPII(line));
  const dataDir = join(projectRoot, ".local", opts.mode, "pg");
  const cluster = { dataDir, port: ports.db, password: "postgres" };

  if (opts.fresh) {
    await stopCluster(cluster);
    await Deno.remove(join(projectRoot, ".local", opts.mode), { recursive: true }).catch(() => {});
  }
  const created = await ensureCluster(cluster);
  say(
    created ? `created a PostgreSQL 15 cluster in ${dataDir}` : `reusing the cluster in ${dataDir}`,
  );
  await startCluster(cluster);
  const dbUrl = clusterUrl(cluster);

  const platform = await preparePlatform(dbUrl);
  say(`pg_net: ${platform.pgNet}, Vault: ${platform.vault}`);
  const pushed = await pushMigrations(dbUrl, { includeSeed: true });
  say(pushed.includes("Applying migration") ? "migrations applied" : "migrations up to date");
  if (opts.mode === "test") await raiseGuardsForTests(dbUrl);
  // Each function connects as its own role (NOTIFY_LEAD_DB_URL, …), as on a hosted project.
  await setFunctionRolePasswords(
    dbUrl,
    (Object.keys(FUNCTION_DB_URL_VARIABLES) as FunctionName[]).map(functionRole),
  );

  const apiUrl = `http://${HOST}:${ports.api}`;
  // The test stack ignores .env: tests must run against the fakes, with no webhook configured
  // unless a test redeploys a function with one.
  const dev = opts.mode === "test" ? {} : await developerEnv();
  const fakes = await startFakes({
    hostname: HOST,
    twilioPort: ports.twilio,
    resendPort: ports.resend,
    sendgridPort: ports.sendgrid,
    webhookPort: ports.webhooks,
    turnstilePort: ports.turnstile,
    inboxPort: ports.inbox,
    twilio: {
      accountSid: FAKE_TWILIO_ACCOUNT_SID,
      authToken: FAKE_TWILIO_AUTH_TOKEN,
      ...fakeTwilioNumber(dev, apiUrl),
    },
    resendApiKey: FAKE_RESEND_API_KEY,
    sendgridApiKey: FAKE_SENDGRID_API_KEY,
    sendgridWebhookUrl: `${apiUrl}/functions/v1/sendgrid-events`,
    resendWebhook: {
      url: `${apiUrl}/functions/v1/resend-events`,
      secret: resendWebhookSecret(dev),
    },
    storage: { serviceRoleKey: LOCAL_SERVICE_ROLE_KEY, publicUrl: apiUrl },
    log,
  });
  const env = functionEnv(dev, {
    apiUrl,
    dbUrl,
    twilioUrl: fakes.twilioUrl,
    resendUrl: fakes.resendUrl,
    sendgridUrl: fakes.sendgridUrl,
    sendgridWebhookPublicKey: fakes.sendgridWebhookPublicKey ?? undefined,
  });

  // What the database's webhooks and cron jobs read (the documented pg_cron + Vault pattern).
  await upsertVaultSecret(dbUrl, "project_url", apiUrl);
  await upsertVaultSecret(dbUrl, "notify_webhook_secret", env.NOTIFY_WEBHOOK_SECRET);

  const runtime = await edgeDenoVersion();
  const limits = limitsFromEnv(Deno.env.toObject());
  await cacheFunctions(await readFunctionSpecs(), WORKER_SCRIPT);
  say(`edge runtime ${runtime} (${describeLimits(limits)})`);

  const worker = await startPgNetWorker(dbUrl, log);
  const gateway = await startGateway({
    hostname: HOST,
    port: ports.api,
    functionsPort: ports.functions,
    env,
    limits,
    apiKeys: [LOCAL_ANON_KEY, LOCAL_SERVICE_ROLE_KEY],
    storageHandler: fakes.storageHandler,
    log,
    control: async (req, path) => {
      // Switches for tests: a function that is down or redeployed with other secrets, the
      // functions process killed, a stalled pg_net.
      const body = req.method === "POST" ? await req.json().catch(() => ({})) : {};
      const fn = path.match(/^functions\/([^/]+)$/);
      if (fn && req.method === "POST" && body.env !== undefined) {
        await gateway.setEnv(fn[1], body.env);
        return Response.json({ function: fn[1], env: Object.keys(body.env) });
      }
      if (fn && req.method === "POST") {
        await gateway.setDown(fn[1], Boolean(body.down));
        return Response.json({ function: fn[1], down: Boolean(body.down) });
      }
      if (path === "functions-runtime/kill" && req.method === "POST") {
        return Response.json(await gateway.killFunctions());
      }
      if (path === "functions-runtime/limits" && req.method === "POST") {
        return Response.json(await gateway.setLimits(body));
      }
      if (path === "functions-runtime/stats" && req.method === "GET") {
        return Response.json(await gateway.stats());
      }
      const exhaust = path.match(/^functions-runtime\/exhaust\/([^/]+)$/);
      if (exhaust && req.method === "POST") {
        return Response.json(await gateway.exhaust(exhaust[1]));
      }
      if (path === "pg_net" && req.method === "POST") {
        if (body.paused) worker.pause();
        else worker.resume();
        return Response.json({ paused: worker.paused });
      }
      return null;
    },
  });

  say(`database     ${dbUrl}`);
  say(`functions    ${apiUrl}/functions/v1/{${gateway.functions.map((f) => f.name).join(",")}}`);
  say(`storage      ${apiUrl}/storage/v1 (fake)`);
  say(
    `twilio       ${
      usesRealTwilio(dev) ? "REAL Twilio (keys from .env)" : `${fakes.twilioUrl} (fake)`
    }`,
  );
  say(
    `resend       ${
      usesRealResend(dev) ? "REAL Resend (keys from .env)" : `${fakes.resendUrl} (fake)`
    }`,
  );
  say(
    `sendgrid     ${
      usesRealSendGrid(dev)
        ? "REAL SendGrid (keys from .env)"
        : env.SENDGRID_BASE_URL === fakes.sendgridUrl
        ? `${fakes.sendgridUrl} (fake; email fails over to it while Resend is failing)`
        : "off (no SENDGRID_API_KEY)"
    }`,
  );
  say(`webhooks     ${fakes.webhookUrl} (fake receiver)`);
  say(`turnstile    ${fakes.turnstileUrl} (fake CAPTCHA verifier)`);
  say(`inbox        ${fakes.inboxUrl}  (what the fakes received)`);

  return {
    apiUrl,
    dbUrl,
    twilioUrl: fakes.twilioUrl,
    resendUrl: fakes.resendUrl,
    sendgridUrl: fakes.sendgridUrl,
    webhookUrl: fakes.webhookUrl,
    inboxUrl: fakes.inboxUrl,
    functionsEnv: env,
    async stop() {
      await gateway.shutdown();
      await worker.stop();
      await fakes.shutdown();
      await stopCluster(cluster);
    },
  };
}

if (import.meta.main) {
  const mode: StackMode = Deno.args.includes("--test") ? "test" : "dev";
  const stack = await startStack({
    mode,
    fresh: Deno.args.includes("--fresh"),
    log: (line) => console.log(`  ${line}`),
  });
  console.log("[stack] ready (Ctrl-C stops everything)");
  if (!Deno.args.includes("--no-demo") && mode === "dev") {
    await runDemo(stack.dbUrl, stack.inboxUrl);
  }
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\n[stack] stopping…");
    await stack.stop();
    console.log("[stack] stopped");
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

/**
 * The suite and the benchmarks send more forms a minute, make more first-time customers an
 * hour, alert the same staff and text more often than any shop gets: on the test stack the
 * all-forms limit, the first-text guard, the staff digest and the SMS budget are raised, and the
 * tests of each set the limit they test.
 */
async function raiseGuardsForTests(dbUrl: string): Promise<void> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`update public.business_settings
      set first_texts_per_hour = 1000000, form_submissions_per_minute = 1000000,
        staff_alerts_per_window = 1000000, sms_daily_budget_usd = 1000000`;
  } finally {
    await sql.end();
  }
}
