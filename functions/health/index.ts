/**
 * health: `GET /functions/v1/health` for uptime monitors: healthy, degraded (200) or failing
 * (503), with the figures behind it and no personal data, so it is open without a key
 * (config.toml). The logic lives in shared/admin/; this file wires it.
 */
import { functionDbUrl, healthConfigSchema, parseConfig } from "../../shared/platform/config.ts";
import { db, nameConnections } from "../../shared/platform/db.ts";
import { createHealthHandler } from "../../shared/admin/health_handler.ts";

const cfg = parseConfig(healthConfigSchema, Deno.env.toObject());

nameConnections("health");
Deno.serve(createHealthHandler({ sql: db(functionDbUrl("health", cfg), { max: 2 }) }));
