/**
 * What a function needs from Supabase's edge runtime beyond `Deno.serve`: work that goes on
 * after the response (`EdgeRuntime.waitUntil`), and the `beforeunload` event a worker gets
 * before it ends. A worker has about 1 s of CPU before it is retired and 2 s before it is
 * killed, boot included, and cannot read its own CPU time: what it loads at boot and what one
 * drain takes on are bounded by design (see shared/outbox/drain.ts), not by watching a clock.
 */

declare const EdgeRuntime:
  | { waitUntil(promise: Promise<unknown>): void }
  | undefined;

/** Keeps `work` going after the response (outside the runtime, e.g. in tests, it just runs). */
export function waitUntil(work: Promise<unknown>): void {
  if (typeof EdgeRuntime !== "undefined") EdgeRuntime.waitUntil(work);
}

/**
 * Calls `listener` with the reason when the runtime is about to end this worker: "early_drop"
 * (retired at the soft CPU limit, now idle), "cpu", "wall_clock" or "memory" (90% of a limit).
 * Returns the function that stops listening.
 */
export function onBeforeUnload(listener: (reason: string) => void): () => void {
  const handle = (event: Event) =>
    listener(
      String(
        (event as CustomEvent<{ reason?: string }>).detail?.reason ?? "unknown",
      ),
    );
  globalThis.addEventListener("beforeunload", handle);
  return () => globalThis.removeEventListener("beforeunload", handle);
}

/**
 * `load` run once, at the first call, its promise shared: for the modules and clients only some
 * requests need (a worker that only plans messages never loads the senders and renderers).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => loaded ??= load();
}

/**
 * A signal aborted at this worker's `beforeunload`, whatever the reason: what its drains stop
 * on (they hand back what they claimed and never put on the wire).
 */
export function unloadSignal(): AbortSignal {
  const unloading = new AbortController();
  onBeforeUnload(() => unloading.abort());
  return unloading.signal;
}
