/**
 * lead-action: the "I'm on it" / "I called them" links in staff alerts. A tap records the
 * action on the lead (which stops its escalation) and answers with a small page. The link's
 * signature is the credential, so Supabase's JWT check is off (config.toml). The logic lives in
 * shared/; this file reads this function's configuration and wires it.
 */
import {
  functionDbUrl,
  functionsUrl,
  leadActionConfigSchema,
  parseConfig,
} from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createLeadActionHandler, pageFormatFor } from "../../shared/lead_action/handler.ts";

const cfg = parseConfig(leadActionConfigSchema, Deno.env.toObject());

nameConnections("lead-action");
Deno.serve(createLeadActionHandler({
  sql: db(functionDbUrl("lead-action", cfg), { max: 3 }),
  // Links are signed with the current secret only (shared/messages/setup.ts).
  secret: { current: cfg.LEAD_ACTION_SECRET, previous: cfg.LEAD_ACTION_SECRET_PREVIOUS },
  // Where the alerts' links point decides whether a page can carry its button.
  pages: pageFormatFor(functionsUrl(cfg)),
}));
