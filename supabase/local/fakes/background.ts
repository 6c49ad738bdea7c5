/**
 * Work a fake does after it has answered (Twilio's status callbacks). Tracked so that
 * shutdown can cancel what is waiting and wait for what is running: a test that stops the
 * fakes leaves no timer or request behind.
 */

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
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
