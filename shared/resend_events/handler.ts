/**
 * resend-events: Resend posts email events here (delivered, bounced, complained, opened…),
 * signed with the endpoint's secret. The signature is checked before anything else: a
 * missing, wrong or stale one gets 401 and nothing is read further or changed. A verified
 * event is applied once (apply.ts) and answered 200, also when it is a retry or about an
 * email we do not know, so Resend stops retrying; only our own failure answers 500, and
 * Resend's retry then applies it.
 */
import type postgres from "postgres";
import { errorResponse, jsonResponse, readSignedJson } from "../platform/http.ts";
import { maskPII } from "../platform/mask.ts";
import type { VerifyingSecret } from "../platform/rotating_secret.ts";
import { verifySignature } from "./signature.ts";
import { applyResendEvent, resendEvent } from "./apply.ts";

export interface ResendEventsDeps {
  sql: postgres.Sql;
  /**
   * The webhook endpoint's signing secret (`whsec_…`), and during a rotation the one it
   * replaces (`RESEND_WEBHOOK_SECRET_PREVIOUS`).
   */
  secret: VerifyingSecret;
  clock?: () => Date;
}

/** Resend's events are a few KB; anything past this is not one. */
const MAX_BODY_BYTES = 64 * 1024;

export function createResendEventsHandler(
  deps: ResendEventsDeps,
): (req: Request) => Promise<Response> {
  const clock = deps.clock ?? (() => new Date());
  return async (req) => {
    const read = await readSignedJson(
      req,
      MAX_BODY_BYTES,
      (body) => verifySignature(deps.secret, req.headers, body, clock()),
    );
    if (read instanceof Response) return read;
    const parsed = resendEvent.safeParse(read.json);
    if (!parsed.success) {
      return errorResponse(400, "Not a Resend event", parsed.error.issues.map((i) => i.message));
    }
    try {
      const result = await applyResendEvent(deps.sql, read.verified.id, parsed.data);
      return jsonResponse(200, { event: parsed.data.type, result });
    } catch (err) {
      console.error(
        maskPII(`resend-events could not apply ${parsed.data.type}: ${(err as Error).stack}`),
      );
      return errorResponse(500, "The event could not be recorded; Resend will retry it");
    }
  };
}
