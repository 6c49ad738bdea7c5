/** Parses request bodies the way the providers read them, for handlers and recordings. */
import { multipartBoundary, parseMultipart } from "./multipart.ts";

/** A file part of a multipart body, described without its bytes. */
export interface FilePartSummary {
  file: string;
  type: string;
  size: number;
}

function contentTypeOf(headers: Headers): string {
  return (headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

/** Form fields as an object; a repeated name becomes an array, as in Twilio's `MediaUrl`. */
export function formFields(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else out[name] = Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/**
 * JSON → value, form-encoded → fields, multipart → fields with files summarised, anything
 * else → `{ bytes, content_type }`. Unparseable JSON yields `undefined`.
 */
export function parseBody(headers: Headers, raw: Uint8Array<ArrayBuffer>): unknown {
  if (raw.byteLength === 0) return null;
  const type = contentTypeOf(headers);
  if (type === "application/json") {
    try {
      return JSON.parse(new TextDecoder().decode(raw));
    } catch {
      return undefined;
    }
  }
  if (type === "application/x-www-form-urlencoded") {
    return formFields(new URLSearchParams(new TextDecoder().decode(raw)));
  }
  const boundary = type === "multipart/form-data"
    ? multipartBoundary(headers.get("content-type")!)
    : undefined;
  if (boundary) {
    const out: Record<string, string | FilePartSummary> = {};
    for (const part of parseMultipart(raw, boundary)) {
      out[part.name] = part.filename === null
        ? new TextDecoder().decode(part.bytes)
        : { file: part.filename, type: part.contentType ?? "", size: part.bytes.byteLength };
    }
    return out;
  }
  return { bytes: raw.byteLength, content_type: type || null };
}

/** Parses a response body for a recording: JSON when it is JSON, else a short description. */
export async function describeResponseBody(response: Response): Promise<unknown> {
  const type = contentTypeOf(response.headers);
  if (type === "application/json") return await response.json().catch(() => null);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (type.startsWith("text/") && bytes.byteLength <= 2048) return new TextDecoder().decode(bytes);
  return { bytes: bytes.byteLength, content_type: type || null };
}
