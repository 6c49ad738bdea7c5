/**
 * sendgrid-events: SendGrid posts its Event Webhook here, a JSON array of events, signed with
 * ECDSA. The signature is checked before anything else: a missing, wrong or stale one gets 401
 * and nothing is read further or changed. Each verified event is applied once (apply.ts); the
 * post is answered 200 also when its events are retries or about emails we do not know, so
 * SendGrid stops retrying; only our own failure answers 500, and SendGrid's retry then applies
 * what is left.
 */
import type postgres from "postgres";
import { z } from "zod";
import { errorResponse, jsonResponse, readSignedJson } from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";
import type { ApplyResult } from "../email_events/apply.ts";
import { verifySendGridSignature } from "./signature.ts";
import { applySendGridEvent, sendGridEvent } from "./apply.ts";

export interface SendGridEventsDeps {
  sql: postgres.Sql;
  /**
   * The Signed Event Webhook's verification key (base64 DER public key), and during a change
   * the one it replaces (`SENDGRID_WEBHOOK_PUBLIC_KEY_PREVIOUS`).
   */
  publicKey: VerifyingSecret;
  clock?: () => Date;
}

/** SendGrid batches events into posts of up to about 1 MB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

const events = z.array(sendGridEvent).min(1);

export function createSendGridEventsHandler(
  deps: SendGridEventsDeps,
): (req: Request) => Promise<Response> {
  const clock = deps.clock ?? (() => new Date());
  return async (req) => {
    const read = await readSignedJson(
      req,
      MAX_BODY_BYTES,
      (body) => verifySendGridSignature(deps.publicKey, req.headers, body, clock()),
    );
    if (read instanceof Response) return read;
    const parsed = events.safeParse(read.json);
    if (!parsed.success) {
      return errorResponse(
        400,
        "Not a SendGrid event batch (a JSON array of events with event and sg_event_id)",
        parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      );
    }
    const results: Partial<Record<ApplyResult, number>> = {};
    try {
      for (const event of parsed.data) {
        const result = await applySendGridEvent(deps.sql, event);
        results[result] = (results[result] ?? 0) + 1;
      }
      return jsonResponse(200, { events: parsed.data.length, results });
    } catch (err) {
      console.error(maskPII(`sendgrid-events could not apply an event: ${(err as Error).stack}`));
      return errorResponse(500, "The events could not be recorded; SendGrid will retry them");
    }
  };
}
