/**
 * The first module a user worker evaluates, before the function's own: it marks where the
 * runtime starts counting the worker's CPU (markEvaluation in worker.ts, reached through a
 * global: importing worker.ts here would wait for it, and it waits for this).
 */
// deno-lint-ignore no-explicit-any
(globalThis as any)[Symbol.for("edge-worker:evaluating")]();
