/**
 * Resend's `Idempotency-Key` rules: the same key and body within 24 h replays the first
 * answer; the same key with another body is refused; the same key while the first request
 * is still being served is refused too. Only successful answers are remembered, so a
 * request that failed validation can be corrected and retried under its key.
 */

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type IdempotencyOutcome =
  | { kind: "new" }
  | { kind: "replay"; answer: StoredAnswer }
  | { kind: "different_body" }
  | { kind: "in_flight" };

interface Entry {
  fingerprint: string;
  answer?: StoredAnswer;
  expiresAt: number;
}

const dayMs = 24 * 60 * 60 * 1000;

export class IdempotencyStore {
  #entries = new Map<string, Entry>();

  constructor(private readonly now: () => number, private readonly ttlMs = dayMs) {}

  /** Reserves `key` for a request whose body has `fingerprint`, or says why it cannot. */
  begin(key: string, fingerprint: string): IdempotencyOutcome {
    const now = this.now();
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > now) {
      if (entry.fingerprint !== fingerprint) return { kind: "different_body" };
      if (!entry.answer) return { kind: "in_flight" };
      return { kind: "replay", answer: entry.answer };
    }
    this.#entries.set(key, { fingerprint, expiresAt: now + this.ttlMs });
    return { kind: "new" };
  }

  /** Remembers the successful answer for a reserved key. */
  complete(key: string, answer: StoredAnswer): void {
    const entry = this.#entries.get(key);
    if (entry) entry.answer = answer;
  }

  /** Releases a reserved key whose request failed. */
  abandon(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
