/**
 * Keeps every sender together under a provider's request rate (Resend: 2 requests per
 * second per team) so a burst waits its turn instead of collecting 429s. The slots live in
 * public.provider_rate_slots, so all function instances share them (see its migration).
 */
import type postgres from "postgres";
import { whileDatabaseAway } from "../platform/db_retry.ts";

// A slot is a few queries: while the database is away they wait for it rather than fail the
// sends behind them (a slot whose release never lands frees itself after 30 s).
const OUTAGE_PATIENCE_MS = 30_000;

function patiently<T>(work: () => Promise<T>): Promise<T> {
  return whileDatabaseAway(work, { deadline: Date.now() + OUTAGE_PATIENCE_MS });
}

export class RateLimiter {
  /** At most `perWindow` calls to `provider` in any `windowMs`, across all senders. */
  constructor(
    private readonly sql: postgres.Sql,
    readonly provider: string,
    readonly perWindow: number,
    readonly windowMs = 1_000,
  ) {}

  /** Resolves when one more call may go out now, with the function to call once it is answered (or failed). */
  async take(): Promise<() => Promise<void>> {
    for (;;) {
      const [slot] = await patiently(() =>
        this.sql<{ slot_id: string | null; wait_ms: number }[]>`
          select slot_id, wait_ms
          from public.take_provider_slot(${this.provider}, ${this.perWindow}, ${this.windowMs})`
      );
      if (slot.slot_id !== null) {
        const id = slot.slot_id;
        return async () => {
          await patiently(() => this.sql`select public.release_provider_slot(${id})`);
        };
      }
      await new Promise((r) => setTimeout(r, slot.wait_ms));
    }
  }

  /** The provider said "too many requests": no sender calls it for `ms`. */
  async pauseFor(ms: number): Promise<void> {
    await patiently(() =>
      this.sql`select public.pause_provider(${this.provider}, ${Math.round(ms)})`
    );
  }
}
