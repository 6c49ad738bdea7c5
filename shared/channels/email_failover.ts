/**
 * When email leaves Resend for SendGrid, and when it must not. The circuit itself (closed,
 * open, half-open after a cool-down) lives in public.provider_circuits, shared by every worker
 * (its migration draws it); this module reads and feeds it, and holds the pure rules:
 *
 * - A Resend call "fails" for the circuit when it gets a 5xx or no answer at all (timeout,
 *   dropped or refused connection). A 4xx, a 429 included, is an answer: Resend is up.
 * - A free email (no earlier call in doubt) goes to Resend while the circuit allows it, else
 *   to SendGrid. An email refused by Resend with a 5xx was not taken, so when that failure
 *   opens the circuit it goes to SendGrid at once.
 * - Exactly once across providers: an email whose Resend call got no answer may have been
 *   accepted, and SendGrid cannot know it. It never goes to SendGrid: it goes again to Resend
 *   under its Idempotency-Key (which replays or proves the first call), and while Resend is
 *   failing it is held, without spending an attempt, until the circuit lets a call through.
 * - SendGrid takes no idempotency key: an email whose SendGrid call got no answer is not sent
 *   again by anyone; it becomes a dead letter saying so, for the admin to check.
 */
import type postgres from "postgres";
import type { SendFailure, SendResult } from "../outbox/channel.ts";
import { describeFailure } from "../outbox/retry_policy.ts";

/** The send_ref prefix of a SendGrid call: the ref names the provider an email is in doubt at. */
const SENDGRID_REF = "sendgrid:";

/** The send_ref recorded before a SendGrid call for the email with outbox key `key`. */
export const sendGridRef = (key: string) => SENDGRID_REF + key;

/** Whether `ref` names a SendGrid call. */
export const isSendGridRef = (ref: string) => ref.startsWith(SENDGRID_REF);

/** Where an email goes next (pure). */
export type Route = "resend" | "sendgrid" | "hold" | "unsettled";

/**
 * Where an email goes next, from the ref of its call in doubt (null: none) and whether the
 * circuit lets this caller call Resend (pure).
 */
export function routeOf(inDoubtRef: string | null, resendAllowed: boolean): Route {
  if (inDoubtRef !== null && isSendGridRef(inDoubtRef)) return "unsettled";
  if (resendAllowed) return "resend";
  return inDoubtRef === null ? "sendgrid" : "hold";
}

/**
 * What a Resend call's results say about Resend (pure): "failed" when any got a 5xx or no
 * answer, "answered" otherwise, null when the call was never made (its rows were lost).
 */
export function resendCallVerdict(results: SendResult[]): "failed" | "answered" | null {
  const called = results.filter((r) =>
    r.ok || r.failure.status !== undefined || r.failure.network === true
  );
  if (called.length === 0) return null;
  return called.some((r) => !r.ok && failsCircuit(r.failure)) ? "failed" : "answered";
}

function failsCircuit(f: SendFailure): boolean {
  return f.network === true || (f.status !== undefined && f.status >= 500);
}

/**
 * Whether a failed Resend result may go to SendGrid once the circuit is open: only a refusal
 * (a 5xx answer), never a call without an answer (pure).
 */
export function mayFailOver(result: SendResult): boolean {
  return !result.ok && result.failure.network !== true && result.failure.status !== undefined &&
    result.failure.status >= 500;
}

/** How long a held email waits before it is looked at again. */
export const HOLD_SECONDS = 5;

/** The answer for an email in doubt at Resend while Resend is failing (no call is made). */
export const HELD_FOR_RESEND: SendFailure = {
  message:
    "in doubt at Resend, which is failing: held until Resend answers again (never sent through SendGrid)",
  transient: true,
  // Not the message's failure: it spends no attempt while it waits.
  throttled: true,
  retryAfterSeconds: HOLD_SECONDS,
};

/** The answer for an email in doubt at SendGrid: it is not sent again (no call is made). */
export const UNSETTLED_AT_SENDGRID: SendFailure = {
  message:
    "in doubt at SendGrid (its answer was lost, and SendGrid takes no idempotency key): not sent again, so it is never sent twice; look it up in SendGrid's Email Activity",
  transient: false,
  throttled: false,
};

/** The shared circuit of one provider (public.provider_circuits). */
export interface Circuit {
  /** Whether this caller may call the provider now (closed, or the probe after a cool-down). */
  allows(): Promise<boolean>;
  /** Records how a call ended; resolves with the circuit's state after it. */
  record(verdict: "failed" | "answered", failure?: SendFailure): Promise<string | null>;
}

/**
 * The circuit of `provider` in the database. Should the database be unreachable, the provider
 * is called (the primary is the safe default) and the record is skipped.
 */
export function databaseCircuit(sql: postgres.Sql, provider: string): Circuit {
  return {
    async allows() {
      try {
        const [row] = await sql<{ allowed: boolean }[]>`
          select public.provider_circuit_allows(${provider}) as allowed`;
        return row.allowed;
      } catch (err) {
        console.warn(
          `email failover: circuit unreadable (${(err as Error).message}); using ${provider}`,
        );
        return true;
      }
    },
    async record(verdict, failure) {
      try {
        const [row] = await sql<{ state: string | null }[]>`
          select public.record_provider_call(${provider}, ${verdict === "answered"}, ${
          failure ? describeFailure({ ...failure, message: "" }) : null
        }) as state`;
        if (row.state === "open" && verdict === "failed") {
          console.warn(`email failover: ${provider} circuit open, email goes through SendGrid`);
        }
        return row.state;
      } catch (err) {
        console.warn(
          `email failover: could not record a ${provider} call (${(err as Error).message})`,
        );
        return null;
      }
    },
  };
}
