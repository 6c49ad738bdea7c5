/**
 * Coalesces single requests into batches: one batch runs at a time, and the requests that
 * arrive while it runs go together in the next (up to `max`). A burst of hundreds of calls
 * thus costs a few round trips instead of hundreds, while a lone call starts at once.
 */
export function createBatcher<K, V>(
  run: (keys: K[]) => Promise<Map<K, V>>,
  opts: { max: number },
): (key: K) => Promise<V | undefined> {
  let waiting: Array<
    { key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }
  > = [];
  let running = false;

  async function pump() {
    running = true;
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, opts.max);
        waiting = waiting.slice(opts.max);
        try {
          const results = await run([...new Set(batch.map((b) => b.key))]);
          for (const b of batch) b.resolve(results.get(b.key));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      // Cleared in the same tick as the loop's last check: a later call starts a new pump.
      running = false;
    }
  }

  return (key) =>
    new Promise<V | undefined>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!running) void pump();
    });
}
