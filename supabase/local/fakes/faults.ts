/**
 * Injected faults (`POST /__fake/faults`) and latency (`POST /__fake/latency`): how a test
 * makes a fake slow, failing or unreachable for the next few requests.
 */
import { z } from "zod";

const faultRuleSchema = z.strictObject({
  /** Substring of the request path; absent matches every request. */
  path: z.string().min(1).optional(),
  /**
   * Substring of the request body (as sent, e.g. one lead's address): the rule is a test's
   * own, not taken by another test's message that happens to be sent meanwhile.
   */
  bodyContains: z.string().min(1).optional(),
  /** How many matching requests this rule answers. */
  times: z.number().int().positive(),
  /** Answer with this status (the provider's own error body unless `body` is given). */
  status: z.number().int().min(200).max(599).optional(),
  body: z.record(z.string(), z.unknown()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Wait this long first; without `status` or `drop` the request is then served normally. */
  delayMs: z.number().int().nonnegative().max(120_000).optional(),
  /** Close the connection without answering. */
  drop: z.boolean().optional(),
  /**
   * Serve the request first (the provider accepts the message), then apply the delay, drop or
   * status: the answer to an accepted message is late, lost or wrong.
   */
  acceptFirst: z.boolean().optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

const latencySchema = z.strictObject({ ms: z.number().int().nonnegative().max(120_000) });

/** A control request whose body is not what the endpoint takes. */
export class ControlBodyError extends Error {
  override name = "ControlBodyError";
}

function parseWith<T>(schema: z.ZodType<T>, what: string, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ControlBodyError(`Cannot set ${what}: ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Validates a `POST /__fake/faults` body; throws ControlBodyError. */
export function parseFaultRule(input: unknown): FaultRule {
  const rule = parseWith(faultRuleSchema, "a fault", input);
  if (rule.drop && (rule.status !== undefined || rule.body !== undefined)) {
    throw new ControlBodyError(
      'Cannot set a fault: "drop" closes the connection, so it takes no status or body',
    );
  }
  if (rule.acceptFirst && !rule.drop && rule.status === undefined && !rule.delayMs) {
    throw new ControlBodyError(
      'Cannot set a fault: "acceptFirst" needs a "drop", a "status" or a "delayMs" to apply after',
    );
  }
  if (rule.body !== undefined && rule.status === undefined) {
    throw new ControlBodyError('Cannot set a fault: a "body" needs a "status"');
  }
  return rule;
}

/** Validates a `POST /__fake/latency` body and returns the milliseconds; throws ControlBodyError. */
export function parseLatency(input: unknown): number {
  return parseWith(latencySchema, "latency", input).ms;
}

/** Pending fault rules, consumed first-in first-out among those matching a path. */
export class FaultBook {
  #rules: FaultRule[] = [];

  add(rule: FaultRule): void {
    this.#rules.push({ ...rule });
  }

  /** Consumes one use of the oldest rule matching `path` and `body`, and returns it. */
  take(path: string, body = ""): FaultRule | undefined {
    const index = this.#rules.findIndex((rule) =>
      (rule.path === undefined || path.includes(rule.path)) &&
      (rule.bodyContains === undefined || body.includes(rule.bodyContains))
    );
    if (index < 0) return undefined;
    const rule = this.#rules[index];
    if (rule.times === 1) this.#rules.splice(index, 1);
    else this.#rules[index] = { ...rule, times: rule.times - 1 };
    return { ...rule, times: 1 };
  }

  pending(): FaultRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  /**
   * Removes what is still pending of rules set as `rule` was (every field but `times`): a test
   * takes back its own fault without clearing another test's.
   */
  withdraw(rule: FaultRule): number {
    const { times: _, ...wanted } = rule;
    const key = JSON.stringify(wanted, Object.keys(wanted).sort());
    const before = this.#rules.length;
    this.#rules = this.#rules.filter(({ times: _, ...kept }) =>
      JSON.stringify(kept, Object.keys(kept).sort()) !== key
    );
    return before - this.#rules.length;
  }

  clear(): void {
    this.#rules = [];
  }
}
