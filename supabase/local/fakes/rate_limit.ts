/**
 * A rolling-window request limiter, like Resend's per-team limit (5 requests per second by
 * default, raised on request; the fake's is set with `POST /__fake/rate-limit`).
 */

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Whole seconds until a slot frees up (the `ratelimit-reset` / `retry-after` value). */
  resetSeconds: number;
}

export class RollingWindowLimiter {
  #admitted: number[] = [];

  constructor(
    public limit: number,
    readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Admits one request if fewer than `limit` were admitted in the last `windowMs`. */
  take(): RateDecision {
    const now = this.now();
    this.#admitted = this.#admitted.filter((at) => now - at < this.windowMs);
    const allowed = this.#admitted.length < this.limit;
    if (allowed) this.#admitted.push(now);
    const oldest = this.#admitted[0] ?? now;
    const full = this.#admitted.length >= this.limit;
    return {
      allowed,
      limit: this.limit,
      remaining: this.limit - this.#admitted.length,
      resetSeconds: full ? Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000)) : 0,
    };
  }

  clear(): void {
    this.#admitted = [];
  }
}
