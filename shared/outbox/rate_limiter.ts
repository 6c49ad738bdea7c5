/**
 * Keeps one process under a provider's request rate (Resend: 2 requests per second per
 * team) so a burst waits its turn instead of collecting 429s. The provider counts a request
 * when it arrives, somewhere between our sending it and its answer, so a slot is held from
 * the call until a full window after its answer. Other instances may still push the team
 * over the limit; their 429s are retried after Retry-After.
 */
export class RateLimiter {
  /** Answer times of recent calls; null while a call is still on the wire. */
  #slots: Array<{ doneAt: number | null }> = [];
  #queue: Promise<unknown> = Promise.resolve();
  #pausedUntil = 0;

  /** At most `perWindow` calls in any `windowMs`. */
  constructor(readonly perWindow: number, readonly windowMs = 1_000) {}

  #busy(now: number) {
    this.#slots = this.#slots.filter((s) => s.doneAt === null || now - s.doneAt < this.windowMs);
    return this.#slots.length >= this.perWindow || this.#pausedUntil > now;
  }

  /**
   * Resolves when one more call may go out now, with the function to call once it is
   * answered (or failed). Callers are served in order.
   */
  take(): Promise<() => void> {
    const turn = this.#queue.then(async () => {
      while (this.#busy(Date.now())) await new Promise((r) => setTimeout(r, 10));
      const slot = { doneAt: null as number | null };
      this.#slots.push(slot);
      return () => {
        slot.doneAt ??= Date.now();
      };
    });
    this.#queue = turn;
    return turn;
  }

  /** The provider said "too many requests": nobody in this process calls it for `ms`. */
  pauseFor(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + ms);
  }
}
