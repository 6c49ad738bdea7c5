/**
 * One drain at a time per function instance, and never a request left behind: a request
 * that arrives while a drain runs is served by exactly one follow-up drain. Many webhooks
 * in a burst thus share a few drains, which is what lets their emails share a batch call.
 * A request also wakes the running drain if it is waiting for a retry to fall due, so new
 * messages go out at once rather than after that wait. An instance that answers webhooks
 * first may gather requests for a moment before they start (or wake) a drain, so a burst of
 * them is claimed, rendered and sent together once it passes, not while it is being answered.
 */

/** How a drain waits: up to `ms`, or less when a new request arrives. */
export type Sleep = (ms: number) => Promise<void>;

/** How long requests are gathered before they start a drain. */
export interface Gathering {
  /** Start once no request has come for this long… */
  quietMs: number;
  /** …or this long after the first request gathered, whichever comes first. */
  maxMs: number;
}

export class DrainScheduler<T> {
  #running: Promise<T> | null = null;
  #next: Promise<T> | null = null;
  #wake: (() => void) | null = null;
  #gathered: {
    first: number;
    timer?: ReturnType<typeof setTimeout>;
    drained: PromiseWithResolvers<T>;
  } | null = null;

  constructor(
    private readonly drain: (sleep: Sleep) => Promise<T>,
    private readonly gathering?: Gathering,
  ) {}

  /** A timer the next request cuts short. */
  #sleep: Sleep = (ms) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.#wake === done) this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });

  #start(): Promise<T> {
    const run = this.drain(this.#sleep).finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  /** Resolves with the result of a drain that started after this call. */
  request(): Promise<T> {
    if (!this.gathering) return this.#requestNow();
    const now = Date.now();
    const gathered = this.#gathered ??= { first: now, drained: Promise.withResolvers<T>() };
    clearTimeout(gathered.timer);
    const { quietMs, maxMs } = this.gathering;
    gathered.timer = setTimeout(() => {
      this.#gathered = null;
      this.#requestNow().then(gathered.drained.resolve, gathered.drained.reject);
    }, Math.max(0, Math.min(now + quietMs, gathered.first + maxMs) - now));
    return gathered.drained.promise;
  }

  #requestNow(): Promise<T> {
    // The running drain may be waiting for a retry: it claims what this request is about now.
    this.#wake?.();
    // A follow-up not yet started serves this request too.
    if (this.#next) return this.#next;
    if (!this.#running) return this.#start();
    this.#next = this.#running.catch(() => undefined).then(() => {
      this.#next = null;
      return this.#start();
    });
    return this.#next;
  }
}
