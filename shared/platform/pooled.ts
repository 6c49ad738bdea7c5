/**
 * Runs `fn` over `items` with at most `limit` calls in flight, starting them in order (like
 * Deno std's `pooledMap`, which we cannot import: only npm is reachable). Rejects with the
 * first error once the calls already started have ended.
 */
export async function forEachPooled<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
