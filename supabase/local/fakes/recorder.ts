/**
 * What a fake received and what it answered, for `GET /__fake/requests`. Secrets never enter
 * a recording: credentials headers are redacted and signed-URL tokens are cut from queries.
 */

/** One request as a fake saw it, with its answer. */
export interface RecordedRequest {
  seq: number;
  at: string; // ISO 8601
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  response: { status: number | null; headers: Record<string, string>; body: unknown };
  /** True when a fault from `POST /__fake/faults` decided the answer. */
  fault: boolean;
  /** True when the connection was closed without an answer. */
  dropped: boolean;
}

const secretHeaders = new Set(["authorization", "apikey", "cookie", "x-api-key"]);
const secretQueryParams = new Set(["token", "apikey"]);

/** Copies headers into a plain object, with credentials replaced by "[redacted]". */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) out[name] = secretHeaders.has(name) ? "[redacted]" : value;
  return out;
}

/** Copies a query string into a plain object, with tokens replaced by "[redacted]". */
export function redactQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) {
    out[name] = secretQueryParams.has(name) ? "[redacted]" : value;
  }
  return out;
}

/** An append-only list of recorded requests, numbered in arrival order. */
export class RequestLog {
  #entries: RecordedRequest[] = [];
  #seq = 0;

  add(entry: Omit<RecordedRequest, "seq">): RecordedRequest {
    const recorded = { seq: ++this.#seq, ...entry };
    this.#entries.push(recorded);
    return recorded;
  }

  all(): RecordedRequest[] {
    return [...this.#entries];
  }

  clear(): void {
    this.#entries = [];
  }
}
