/**
 * Polls until `check` returns a value that is not undefined/false, or fails with the
 * given description and the last value seen: a test never sleeps blindly.
 */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | undefined | false | null>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined && last !== false && last !== null) return last as T;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
  throw new Error(
    `Timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${description} (last: ${
      JSON.stringify(last)
    })`,
  );
}
