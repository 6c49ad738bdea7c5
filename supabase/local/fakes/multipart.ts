/**
 * A small multipart/form-data reader. The platform's `formData()` skips parts with an empty
 * name, and supabase-js uploads its file in exactly such a part (`name=""`), so Storage's
 * fake reads the parts itself.
 */

export interface MultipartPart {
  name: string;
  filename: string | null;
  contentType: string | null;
  bytes: Uint8Array<ArrayBuffer>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The boundary named by a multipart Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = contentType.match(/boundary=(?:"([^"]+)"|([^;\s]+))/i);
  return match?.[1] ?? match?.[2];
}

function headerParam(header: string, param: string): string | null {
  const match = header.match(new RegExp(`;\\s*${param}="([^"]*)"`, "i"));
  return match ? match[1] : null;
}

/** Splits a multipart body into its parts; malformed input yields the parts read so far. */
export function parseMultipart(raw: Uint8Array, boundary: string): MultipartPart[] {
  const delimiter = encoder.encode(`--${boundary}`);
  const headerEnd = encoder.encode("\r\n\r\n");
  const parts: MultipartPart[] = [];
  let at = indexOf(raw, delimiter, 0);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (raw[start] === 0x2d && raw[start + 1] === 0x2d) break; // "--": the closing delimiter
    const headersAt = start + 2; // skip CRLF after the delimiter
    const bodyAt = indexOf(raw, headerEnd, headersAt);
    const next = indexOf(raw, delimiter, headersAt);
    if (bodyAt < 0 || next < 0 || bodyAt > next) break;
    const headers = decoder.decode(raw.subarray(headersAt, bodyAt)).split("\r\n");
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? "";
    const type = headers.find((h) => /^content-type:/i.test(h));
    parts.push({
      name: headerParam(disposition, "name") ?? "",
      filename: headerParam(disposition, "filename"),
      contentType: type ? type.slice(type.indexOf(":") + 1).trim() : null,
      bytes: raw.slice(bodyAt + headerEnd.length, next - 2), // the part ends with CRLF
    });
    at = next;
  }
  return parts;
}
