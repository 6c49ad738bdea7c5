/**
 * One drain at a time per function instance, and never a request left behind: a request
 * that arrives while a drain runs is served by exactly one follow-up drain. Many webhooks
 * in a burst thus share a few drains, which is what lets their emails share a batch call.
 */
export class DrainScheduler<T> {
  #running: Promise<T> | null = null;
  #next: Promise<T> | null = null;

  constructor(private readonly drain: () => Promise<T>) {}

  #start(): Promise<T> {
    const run = this.drain().finally(() => {
      if (this.#running === run) this.#running = null;
    });
    this.#running = run;
    return run;
  }

  /** Resolves with the result of a drain that started after this call. */
  request(): Promise<T> {
    if (!this.#running) return this.#start();
    this.#next ??= this.#running.catch(() => undefined).then(() => {
      this.#next = null;
      return this.#start();
    });
    return this.#next;
  }
}
