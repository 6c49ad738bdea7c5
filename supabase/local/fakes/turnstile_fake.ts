/**
 * A fake of Cloudflare Turnstile's siteverify (`POST /turnstile/v0/siteverify`), which a
 * form's CAPTCHA token is checked against. Like the real one:
 * - the body is form-encoded or JSON with `secret`, `response`, optionally `remoteip` and
 *   `idempotency_key`;
 * - it answers 200 `{"success": …, "error-codes": [...], "challenge_ts", "hostname", …}`;
 *   `missing-input-secret` / `invalid-input-secret`, `missing-input-response` /
 *   `invalid-input-response`, and `timeout-or-duplicate` for a token verified before (unless
 *   the same `idempotency_key` asks again: the first answer is given again).
 * Tokens are the fake's own: `POST /__fake/tokens` issues one (what the widget would give the
 * form), so a test holds a valid token or makes up an invalid one.
 */
import type { HandlerContext, Incoming, Provider } from "./fake_endpoint.ts";
import { uuid } from "./ids.ts";

/** The secret the fake accepts (a local value, like the other fakes' credentials). */
export const FAKE_TURNSTILE_SECRET = "0x4AAAAAAAlocal-leadwire-turnstile-fake";

/** A verification, as `GET /__fake/messages` lists it. */
export interface FakeVerification {
  at: string;
  success: boolean;
  error_codes: string[];
  idempotency_key: string | null;
}

export interface TurnstileFake extends Provider {
  messages(): FakeVerification[];
}

export function createTurnstileFake(opts: { now: () => number }): TurnstileFake {
  let issued = new Set<string>();
  let spent = new Map<string, string | null>(); // token → idempotency key it was spent with
  let answers = new Map<string, Record<string, unknown>>(); // idempotency key → answer
  let verifications: FakeVerification[] = [];

  function field(body: unknown, name: string): string | null {
    const value = (body as Record<string, unknown> | null)?.[name];
    return typeof value === "string" && value !== "" ? value : null;
  }

  async function handle(incoming: Incoming, ctx: HandlerContext): Promise<Response> {
    if (incoming.url.pathname !== "/turnstile/v0/siteverify") {
      return Response.json({ success: false, "error-codes": ["bad-request"] }, { status: 404 });
    }
    if (incoming.method !== "POST") {
      return new Response(null, { status: 405, headers: { allow: "POST" } });
    }
    await ctx.delay();
    const secret = field(incoming.body, "secret");
    const token = field(incoming.body, "response");
    const key = field(incoming.body, "idempotency_key");
    if (key && answers.has(key)) return Response.json(answers.get(key));
    const errors = !secret
      ? ["missing-input-secret"]
      : secret !== FAKE_TURNSTILE_SECRET
      ? ["invalid-input-secret"]
      : !token
      ? ["missing-input-response"]
      : !issued.has(token)
      ? ["invalid-input-response"]
      : spent.has(token)
      ? ["timeout-or-duplicate"]
      : [];
    if (errors.length === 0) spent.set(token!, key);
    const answer: Record<string, unknown> = errors.length === 0
      ? {
        success: true,
        "error-codes": [],
        challenge_ts: new Date(opts.now()).toISOString(),
        hostname: "pinkautoglass.com",
        action: "",
        cdata: "",
      }
      : { success: false, "error-codes": errors };
    if (key) answers.set(key, answer);
    verifications.push({
      at: new Date(opts.now()).toISOString(),
      success: errors.length === 0,
      error_codes: errors,
      idempotency_key: key,
    });
    return Response.json(answer);
  }

  return {
    name: "turnstile",
    handle,
    faultResponse: (status) =>
      Response.json({ success: false, "error-codes": ["internal-error"] }, { status }),
    messages: () => verifications,
    reset() {
      issued = new Set();
      spent = new Map();
      answers = new Map();
      verifications = [];
    },
    control(action) {
      if (action !== "tokens") return undefined;
      const token = `fake-turnstile.${uuid()}`;
      issued.add(token);
      return Response.json({ token });
    },
  };
}
