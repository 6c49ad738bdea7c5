/**
 * Work a fake does after it has answered (Twilio's status callbacks). Tracked so that
 * shutdown can cancel what is waiting and wait for what is running: a test that stops the
 * fakes leaves no timer or request behind.
 */

/** The sleeps waiting on each signal, woken by one listener of its own. */
const sleepers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Resolves after `ms`, or rejects with the signal's reason when it aborts first. Thousands
 * may wait on one signal at once (a queue of texts, each waiting for its departure): they
 * share one abort listener, since adding and removing a listener each costs a scan of all.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let waiting = sleepers.get(signal);
    if (!waiting) {
      const all = new Set<() => void>();
      signal.addEventListener("abort", () => {
        for (const wake of all) wake();
      }, { once: true });
      sleepers.set(signal, waiting = all);
    }
    const set = waiting;
    const onAbort = () => {
      clearTimeout(timer);
      set.delete(onAbort);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      set.delete(onAbort);
      resolve();
    }, ms);
    set.add(onAbort);
  });
}

export class BackgroundTasks {
  #controller = new AbortController();
  #running = new Set<Promise<void>>();

  /** Starts `task`; its signal aborts on `stop()`. Rejections after an abort are expected and dropped. */
  run(task: (signal: AbortSignal) => Promise<void>, onError: (error: unknown) => void): void {
    const signal = this.#controller.signal;
    const running: Promise<void> = task(signal)
      .catch((error) => {
        if (!signal.aborted) onError(error);
      })
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /** Cancels every task and waits until all have finished. */
  async stop(): Promise<void> {
    this.#controller.abort(new DOMException("The fakes are shutting down", "AbortError"));
    await Promise.all(this.#running);
    this.#controller = new AbortController();
  }
}
