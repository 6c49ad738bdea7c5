/**
 * What `npm run deploy -- --project-ref <ref>` checks and runs, decided without I/O: the
 * problems of an .env for a hosted project, and the README's deploy steps in order, as
 * supabase CLI commands. main.ts reads the files and runs the commands.
 *
 * The checks are the functions' own: each function's config schema (shared/platform/config.ts)
 * is asked about the .env with what Supabase injects, so a variable a function comes to need
 * (e.g. its own database URL secret) is checked here as soon as its schema names it. On top:
 * what only a hosted project refuses (local-only URLs, NODE_ENV, values this repository
 * publishes, names Supabase reserves).
 */
import type { z } from "zod";
import {
  configProblems,
  FUNCTION_DB_URL_VARIABLES,
  functionsUrl,
  healthConfigSchema,
  leadActionConfigSchema,
  notifyLeadConfigSchema,
  resendEventsConfigSchema,
  sendGridEventsConfigSchema,
  sendRemindersConfigSchema,
  twilioInboundConfigSchema,
} from "../../shared/platform/config.ts";
import { publishedSecretsIn } from "../../shared/platform/published_secrets.ts";
import { pageFormatFor } from "../../shared/lead_action/handler.ts";

/** Each deployed function's configuration: what it refuses to start without. */
export const FUNCTION_CONFIGS: Readonly<Record<string, z.ZodType>> = {
  "notify-lead": notifyLeadConfigSchema,
  "twilio-inbound": twilioInboundConfigSchema,
  "send-reminders": sendRemindersConfigSchema,
  "lead-action": leadActionConfigSchema,
  "health": healthConfigSchema,
  "resend-events": resendEventsConfigSchema,
  "sendgrid-events": sendGridEventsConfigSchema,
};

/**
 * Functions deployed only with the provider they serve: sendgrid-events only when email has
 * SendGrid as its fallback (SENDGRID_API_KEY); without it nothing would post to it.
 */
const DEPLOYED_WITH: Readonly<Record<string, string>> = {
  "sendgrid-events": "SENDGRID_API_KEY",
};

/** Of `functions` (config.toml's), those a deploy with `env` uploads, in their order. */
export function deployedFunctions(functions: string[], env: Record<string, string>): string[] {
  return functions.filter((fn) => !DEPLOYED_WITH[fn] || (env[DEPLOYED_WITH[fn]] ?? "") !== "");
}

/** Variables that point the functions at the local fakes: a hosted project must leave them empty. */
const LOCAL_ONLY = ["RESEND_BASE_URL", "TWILIO_API_BASE_URL", "TURNSTILE_VERIFY_URL"] as const;

/** One problem with the .env: the variable it is about, and what is wrong (never its value). */
export interface EnvProblem {
  name: string;
  problem: string;
  /** The functions that would refuse to start over it (empty: the deploy itself refuses). */
  functions: string[];
}

/** A Supabase project ref: 20 lowercase letters (the CLI treats exactly those as refs). */
export function isProjectRef(ref: string): boolean {
  return /^[a-z]{20}$/.test(ref);
}

/**
 * What Supabase injects into each function of project `ref`: real enough to pass the schemas,
 * so that every problem reported is the .env's.
 */
function injected(ref: string): Record<string, string> {
  return {
    SUPABASE_URL: `https://${ref}.supabase.co`,
    SUPABASE_DB_URL: `postgresql://postgres:injected@db.${ref}.supabase.co:5432/postgres`,
    SUPABASE_SERVICE_ROLE_KEY: "injected-by-supabase-service-role-key",
  };
}

/**
 * Every problem of `env` (a parsed .env) for a deploy to project `ref`, in a stable order
 * (by variable); empty when every function would start and nothing local would be uploaded.
 */
export function checkDeployEnv(env: Record<string, string>, ref: string): EnvProblem[] {
  const found = new Map<string, EnvProblem>();
  const add = (name: string, problem: string, fn?: string) => {
    const key = `${name}\u0000${problem}`;
    const known = found.get(key) ?? { name, problem, functions: [] };
    if (fn) known.functions.push(fn);
    found.set(key, known);
  };
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));

  for (const name of Object.keys(set).filter((n) => n.startsWith("SUPABASE_"))) {
    add(name, "may not be set: the SUPABASE_ prefix is Supabase's own (it injects these)");
  }
  const asDeployed = { ...set, ...injected(ref) };
  for (const fn of deployedFunctions(Object.keys(FUNCTION_CONFIGS), set)) {
    for (const p of configProblems(FUNCTION_CONFIGS[fn], asDeployed)) add(p.name, p.problem, fn);
  }
  if (set.NODE_ENV !== "production") {
    add(
      "NODE_ENV",
      set.NODE_ENV === undefined
        ? "is missing (must be production: React renders the emails with its production build only then)"
        : "must be production (React renders the emails with its production build only then)",
    );
  }
  for (const name of LOCAL_ONLY) {
    if (set[name] !== undefined) {
      add(name, "must be empty on a hosted project: it points a provider at the local fakes");
    }
  }
  if (set.PUBLIC_FUNCTIONS_URL !== undefined && !set.PUBLIC_FUNCTIONS_URL.startsWith("https://")) {
    add("PUBLIC_FUNCTIONS_URL", "must be an https:// URL (Twilio signs the URL it calls)");
  }
  for (const name of publishedSecretsIn(set)) {
    add(
      name,
      "is a value published in the leadwire repository (the local stack's default): set your own secret",
    );
  }
  return [...found.values()].sort((a, b) =>
    a.name.localeCompare(b.name) || a.problem.localeCompare(b.problem)
  );
}

/**
 * The variables a hosted deploy cannot do without: those an .env with nothing set is refused
 * for. README's deploy section and .env.example list the same (tests/unit/deploy_plan_test.ts).
 */
export function requiredVariables(): string[] {
  return [...new Set(checkDeployEnv({}, "abcdefghijklmnopqrst").map((p) => p.name))].sort();
}

/** One step of the deploy: what it does, and the command that does it. */
export interface DeployStep {
  title: string;
  argv: string[];
}

export interface DeployPlanOptions {
  projectRef: string;
  /** The functions of supabase/config.toml, in its order. */
  functions: string[];
  /** The supabase CLI (node_modules/.bin/supabase). */
  supabase: string;
  /** The repository's deno (node_modules/.bin/deno). */
  deno: string;
  /** A file holding only the secrets to set (the .env's non-empty values). */
  secretsFile: string;
  /** Their names, shown with the step (values never are). */
  secretNames: string[];
}

/**
 * The README's deploy steps, in its order: link, migrations, secrets, the bundle-size check,
 * then each function. `supabase login` comes before (the CLI asks for a token once per machine).
 */
export function deploySteps(opts: DeployPlanOptions): DeployStep[] {
  const ref = ["--project-ref", opts.projectRef];
  return [
    { title: "Link the project", argv: [opts.supabase, "link", ...ref] },
    {
      title: "Apply the migrations (pg_cron jobs, the lead-photos bucket, the admin one-liners)",
      argv: [opts.supabase, "db", "push", "--linked"],
    },
    {
      title: `Set the functions' secrets from .env: ${[...opts.secretNames].sort().join(", ")}`,
      argv: [opts.supabase, "secrets", "set", "--env-file", opts.secretsFile, ...ref],
    },
    {
      title: "Check each function's bundle is under 20 MB",
      argv: [opts.deno, "task", "bundle"],
    },
    ...opts.functions.map((name) => ({
      title: `Deploy ${name}`,
      argv: [opts.supabase, "functions", "deploy", name, "--use-api", ...ref],
    })),
  ];
}

/** What is left for the admin once the commands ran (the SQL editor of project `ref`). */
export function afterDeploy(ref: string, env: Record<string, string>): string[] {
  const links = functionsUrl({
    SUPABASE_URL: `https://${ref}.supabase.co`,
    PUBLIC_FUNCTIONS_URL: env.PUBLIC_FUNCTIONS_URL || undefined,
  });
  const textPages = pageFormatFor(links) === "text"
    ? [
      `Note: staff alerts' "I'm on it" links point at ${links}, where Supabase serves pages as`,
      "  plain text: staff read what the link is but get no button. Put a custom domain in",
      "  PUBLIC_FUNCTIONS_URL for the two-tap flow (README, lead-action).",
    ]
    : [];
  // A function without its own login connects as postgres (and warns): say how to end that.
  const deployed = deployedFunctions(Object.keys(FUNCTION_DB_URL_VARIABLES), env);
  const asPostgres = Object.entries(FUNCTION_DB_URL_VARIABLES).filter(([fn, name]) =>
    deployed.includes(fn) && !env[name]
  );
  const roles = asPostgres.length === 0 ? [] : [
    `  -- ${asPostgres.length} function(s) would connect as postgres: give each its login`,
    '  -- (README, "Database roles"), put its URL in .env, and run the deploy again:',
    ...asPostgres.map(([fn, name]) =>
      `  alter role leadwire_${fn.replaceAll("-", "_")} password '…';  -- then ${name}`
    ),
  ];
  return [
    `In the SQL editor (https://supabase.com/dashboard/project/${ref}/sql):`,
    `  select vault.create_secret('https://${ref}.supabase.co', 'project_url');`,
    "  select vault.create_secret('<NOTIFY_WEBHOOK_SECRET from .env>', 'notify_webhook_secret');",
    "  select set_up_shop(business_name => '…', phone => '…', postal_address => '…',",
    "    website_url => '…', reply_to_email => '…', sms_hours => '8 am-8 pm', time_zone => '…');",
    "  select add_staff_member('…', 'dispatcher', email => '…', phone => '…', takes_leads => true);",
    ...roles,
    "Then: Resend's webhook and Twilio's number (README, \"Deploying to a hosted Supabase project\").",
    ...textPages,
  ];
}
