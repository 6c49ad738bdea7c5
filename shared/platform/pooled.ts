/**
 * Runs `fn` over `items` with at most `limit` calls in flight, starting them in order (like
 * Deno std's `pooledMap`, which we cannot import: only npm is reachable). After a call fails no
 * new one starts; rejects with the first error once the calls already started have ended.
 */
export async function forEachPooled<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  // A caller that sees the rejection takes the work as over (a drain stops renewing the leases
  // of these items): a call started after it would run on a lease nobody renews.
  const worker = async () => {
    while (errors.length === 0 && next < items.length) {
      try {
        await fn(items[next++]);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/** Runs a call once one of the slots is free. */
export type CallSlots = <T>(call: () => Promise<T>) => Promise<T>;

/**
 * `limit` call slots shared by every caller (e.g. every batch a sender has on the wire), handed
 * out first come, first served: a batch arriving while another ends takes the slots it frees,
 * so the provider sees a steady `limit` calls rather than a batch's tail and then a gap.
 */
export function createCallSlots(limit: number): CallSlots {
  let free = limit;
  const waiting: Array<() => void> = [];
  return async (call) => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await call();
    } finally {
      // The slot goes straight to the next in line, or back to the pool.
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
