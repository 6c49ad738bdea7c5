/**
 * One drain at a time per function instance, and never a request left behind: a request
 * that arrives while a drain runs is served by exactly one follow-up drain. Many webhooks
 * in a burst thus share a few drains, which is what lets their emails share a batch call.
 * A request also wakes the running drain if it is waiting for a retry to fall due, so new
 * messages go out at once rather than after that wait.
 */

/** How a drain waits: up to `ms`, or less when a new request arrives. */
export type Sleep = (ms: number) => Promise<void>;

export class DrainScheduler<T> {
  #running: Promise<T> | null = null;
  #next: Promise<T> | null = null;
  #wake: (() => void) | null = null;

  constructor(private readonly drain: (sleep: Sleep) => Promise<T>) {}

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
