import { matchesSecret, type VerifyingSecret } from "./rotating_secret.ts";

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

/**
 * The 401 for a caller without the shared secret in `x-webhook-secret`, or null when it has
 * it (the current value, or the previous one during a rotation; compared in constant time).
 * Checked before anything else about the request, so a stranger learns nothing (not even
 * which methods or routes exist).
 */
export function refuseWithoutSecret(req: Request, expected: VerifyingSecret): Response | null {
  const secret = req.headers.get("x-webhook-secret");
  if (secret === null) return errorResponse(401, "Missing x-webhook-secret header");
  if (!matchesSecret(secret, expected)) return errorResponse(401, "Wrong x-webhook-secret");
  return null;
}

/** A request body larger than its endpoint takes. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`Request body is larger than ${limitBytes} bytes`);
  }
}

/**
 * Reads a JSON request body of at most `limitBytes` (see {@linkcode readTextWithin}); an empty
 * body reads as `{}`.
 *
 * @throws {BodyTooLargeError}
 * @throws {SyntaxError} When the body is not JSON.
 */
export async function readJsonWithin(req: Request, limitBytes: number): Promise<unknown> {
  const text = await readTextWithin(req, limitBytes);
  return text.trim() === "" ? {} : JSON.parse(text);
}

/**
 * Reads a request body as text, never more than `limitBytes`: a declared Content-Length over
 * the limit is refused before reading, and a stream that grows past it is cancelled.
 *
 * @throws {BodyTooLargeError}
 */
export async function readTextWithin(req: Request, limitBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limitBytes) throw new BodyTooLargeError(limitBytes);
  if (!req.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Reads a signed webhook in the order that lets a stranger learn nothing: its body (at most
 * `limitBytes`), checked by `verify` (401 when refused), then the method (405 but for POST),
 * then JSON (400). Returns the parsed body with what `verify` found, or the answer to give.
 */
export async function readSignedJson<Verified extends { ok: true }>(
  req: Request,
  limitBytes: number,
  verify: (body: string) => Verified | { ok: false; reason: string },
): Promise<{ json: unknown; verified: Verified } | Response> {
  let body: string;
  try {
    body = await readTextWithin(req, limitBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return errorResponse(413, err.message);
    return errorResponse(400, "Could not read the request body");
  }
  const verified = verify(body);
  if (!verified.ok) return errorResponse(401, `Signature refused: ${verified.reason}`);
  if (req.method !== "POST") return errorResponse(405, `Use POST, not ${req.method}`);
  try {
    return { json: JSON.parse(body), verified };
  } catch {
    return errorResponse(400, "Request body is not valid JSON");
  }
}
