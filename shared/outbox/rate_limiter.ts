/**
 * Keeps one process under a provider's request rate (Resend: 2 requests per second per
 * team) so a burst waits its turn instead of collecting 429s. Other instances may still
 * push the team over the limit; their 429s are retried after Retry-After.
 */
export class RateLimiter {
  #recent: number[] = [];
  #queue: Promise<void> = Promise.resolve();
  #pausedUntil = 0;

  /** At most `perWindow` calls in any `windowMs` (a small margin absorbs clock skew). */
  constructor(readonly perWindow: number, readonly windowMs = 1_000, readonly marginMs = 60) {}

  /** Resolves when one more call may go out now. Callers are served in order. */
  take(): Promise<void> {
    const turn = this.#queue.then(async () => {
      if (this.#pausedUntil > Date.now()) await new Promise((r) => setTimeout(r, this.#pausedUntil - Date.now()));
      const now = Date.now();
      this.#recent = this.#recent.filter((t) => now - t < this.windowMs + this.marginMs);
      if (this.#recent.length >= this.perWindow) {
        const wait = this.#recent[0] + this.windowMs + this.marginMs - now;
        await new Promise((r) => setTimeout(r, wait));
        this.#recent.shift();
      }
      this.#recent.push(Date.now());
    });
    this.#queue = turn;
    return turn;
  }

  /** The provider said "too many requests": nobody in this process calls it for `ms`. */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
  }
}
