/**
 * Keeps every sender together under a provider's request rate (Resend: 5 requests per second
 * per team by default, raised on request) so a burst waits its turn instead of collecting
 * 429s. The slots live in public.provider_rate_slots, so all function instances share them
 * (see its migration). The limit is the one the provider last stated in an answer
 * (public.provider_limits, learned through `learn`), and the figure a limiter is built with
 * only until then; a 429's retry-after pauses every sender (`pauseFor`).
 */
import type postgres from "postgres";
import { whileDatabaseAway } from "../platform/db_retry.ts";

// A slot is a few queries: while the database is away they wait for it rather than fail the
// sends behind them (a slot whose release never lands frees itself after 12 s).
const OUTAGE_PATIENCE_MS = 30_000;

function patiently<T>(work: () => Promise<T>): Promise<T> {
  return whileDatabaseAway(work, { deadline: Date.now() + OUTAGE_PATIENCE_MS });
}

/** What a provider's answer says of its rate limit (e.g. Resend's `ratelimit-*` headers). */
export interface ProviderLimits {
  /** Requests allowed per window (`ratelimit-limit`). */
  limit: number;
}

export class RateLimiter {
  /** The limit this limiter last recorded, so an unchanged one costs no query. */
  #learned: number | null = null;

  /**
   * At most `perWindow` calls to `provider` in any `windowMs`, across all senders, until the
   * provider states its own limit (then that, per the same window).
   */
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

  /** The provider stated its limit: every sender counts against it from its next call. */
  async learn(limits: ProviderLimits): Promise<void> {
    if (!Number.isInteger(limits.limit) || limits.limit < 1 || limits.limit === this.#learned) {
      return;
    }
    await patiently(() =>
      this.sql`select public.learn_provider_limit(${this.provider}, ${limits.limit})`
    );
    this.#learned = limits.limit;
  }

  /** The provider said "too many requests": no sender calls it for `ms`. */
  async pauseFor(ms: number): Promise<void> {
    await patiently(() =>
      this.sql`select public.pause_provider(${this.provider}, ${Math.round(ms)})`
    );
  }
}

/**
 * A provider's "too many requests" shared by every sender, for senders that take no slot per
 * call (Twilio: a text is one call, and it queues what a number cannot send at once). The
 * pause lives where RateLimiter's does, so either kind of sender holds back for the other.
 */
export class ProviderPause {
  constructor(private readonly sql: postgres.Sql, readonly provider: string) {}

  /** How long every sender must still hold back; 0 when nothing holds. */
  async remainingMs(): Promise<number> {
    const [row] = await patiently(() =>
      this.sql<{ wait_ms: number }[]>`select public.provider_pause_ms(${this.provider}) as wait_ms`
    );
    return row.wait_ms;
  }

  /**
   * The provider said "too many requests": no sender calls it for `ms`. Pauses that ended go
   * (take_provider_slot clears them for the providers that take slots; these take none).
   */
  async pauseFor(ms: number): Promise<void> {
    await patiently(() =>
      this.sql`
        with ended as (
          delete from public.provider_rate_slots
          where provider = ${this.provider} and blocked_until < clock_timestamp()
        )
        select public.pause_provider(${this.provider}, ${Math.round(ms)})`
    );
  }
}
