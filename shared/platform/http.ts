import { createHash, timingSafeEqual } from "node:crypto";

/** JSON responses with one status per kind of error: the callers are machines and admins. */

export function jsonResponse(status: number, body: unknown): Response {
  return Response.json(body, { status });
}

/** `{ "error": message }` plus optional details (e.g. zod issues). */
export function errorResponse(status: number, message: string, details?: unknown): Response {
  return jsonResponse(
    status,
    details === undefined ? { error: message } : { error: message, details },
  );
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretsMatch(presented: string | null, expected: string): boolean {
  if (presented === null) return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
