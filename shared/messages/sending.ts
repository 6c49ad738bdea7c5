/**
 * A function's senders and renderers, loaded at its worker's first drain rather than at boot:
 * with the provider SDKs and React's server renderer they are a third of a worker's CPU budget,
 * and a worker that only plans messages or answers webhooks never needs them.
 */
import type { DrainDeps } from "../outbox/drain.ts";
import { db } from "../platform/db.ts";
import { loadOnce } from "../platform/edge_worker.ts";
import type { SendingConfig } from "./setup.ts";

/**
 * The drain's dependencies (see wiring.ts), built once, at the first call. Sending has its own
 * `connections` to `dbUrl` (the function's own login, see functionDbUrl): in a burst, webhooks
 * plan at once, and claims and records must not wait behind them.
 */
export function sendingOnDemand(
  cfg: SendingConfig,
  opts: { dbUrl: string; connections: number },
): () => Promise<DrainDeps> {
  return loadOnce(async () =>
    (await import("./wiring.ts")).drainDeps(
      cfg,
      db(opts.dbUrl, { purpose: "drain", max: opts.connections }),
    )
  );
}
