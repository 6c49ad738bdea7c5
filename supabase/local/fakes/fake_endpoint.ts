/**
 * The part every fake shares: the control API under `<prefix>/__fake/`, fault and latency
 * injection, recording, and one masked log line per request. A provider only says how it
 * answers a request and what its default error looks like.
 */
import { describeResponseBody, parseBody } from "./body.ts";
import { BackgroundTasks, sleep } from "./background.ts";
import {
  ControlBodyError,
  FaultBook,
  type FaultRule,
  parseFaultRule,
  parseLatency,
} from "./faults.ts";
import { maskPII } from "../../../shared/platform/mask.ts";
import { redactHeaders, redactQuery, RequestLog } from "./recorder.ts";

/** A request with its body read once and parsed. */
export interface Incoming {
  method: string;
  url: URL;
  headers: Headers;
  raw: Uint8Array<ArrayBuffer>;
  /** See `parseBody`: JSON value, form fields, multipart summary or `{ bytes, content_type }`. */
  body: unknown;
}

export interface HandlerContext {
  /**
   * Waits out the injected latency and fault delay. A provider calls it where the real one
   * would be busy (Resend: after reserving the idempotency key); if it does not, the wait
   * happens after the handler returns. Waits only once.
   */
  delay(): Promise<void>;
  /** Runs `task` after the answer is written; it is cancelled on reset and shutdown. */
  later(task: (signal: AbortSignal) => Promise<void>): void;
}

export interface Provider {
  /** Name in log lines, e.g. "twilio". */
  readonly name: string;
  handle(incoming: Incoming, ctx: HandlerContext): Promise<Response>;
  /**
   * The provider's own error answer for a fault that gives a status but no body. `incoming`
   * is the faulted request, for a fake that stands in for receivers with different error
   * formats on different paths (the webhook fake: Slack's plain text, a CRM's JSON).
   */
  faultResponse(status: number, incoming?: Incoming): Response;
  /** Accepted sends, for `GET /__fake/messages` and the inbox. */
  messages(): unknown[];
  reset(): void;
  /** Provider-specific listings (`GET /__fake/<action>`); undefined = unknown action. */
  query?(action: string): unknown;
  /**
   * Provider-specific control actions (`POST /__fake/<action>`); undefined = unknown action.
   * May throw ControlBodyError (answered 400).
   */
  control?(action: string, body: unknown): Response | undefined | Promise<Response | undefined>;
  /** Extra log text (recipient etc.); it is masked before it is printed. */
  describe?(incoming: Incoming): string;
}

/** Returned instead of a Response when the connection must be closed without an answer. */
export const DROP = Symbol("drop");
export type Answer = Response | typeof DROP;

export interface FakeEndpointOptions {
  /** Path prefix before `/__fake/`: "" for the standalone fakes, "/storage/v1" for storage. */
  controlPrefix: string;
  log: (line: string) => void;
  /** Called when a drop fault is added (the server then closes its idle connections). */
  onDropArmed?: () => void;
}

export interface FakeEndpoint {
  handle(req: Request): Promise<Answer>;
  /**
   * True while a drop fault is pending. Deno's fetch silently resends a request once when a
   * reused keep-alive connection closes without an answer, which would let the resend
   * through; so until the drop happens, answers close their connection.
   */
  dropPending(): boolean;
  /** Cancels deferred work (status callbacks) and waits for it to finish. */
  stop(): Promise<void>;
}

function controlError(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

async function readJson(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlBodyError("Cannot read the control request: its body is not JSON");
  }
}

/** Wraps a provider with recording, the control API, faults and latency. */
export function createFakeEndpoint(provider: Provider, opts: FakeEndpointOptions): FakeEndpoint {
  const requests = new RequestLog();
  const faults = new FaultBook();
  const background = new BackgroundTasks();
  const controlRoot = `${opts.controlPrefix}/__fake/`;
  let latencyMs = 0;

  async function control(req: Request, action: string): Promise<Response> {
    try {
      if (req.method === "GET" && action === "requests") return Response.json(requests.all());
      if (req.method === "GET" && action === "messages") return Response.json(provider.messages());
      if (req.method === "GET" && action === "faults") return Response.json(faults.pending());
      const listed = req.method === "GET" ? provider.query?.(action) : undefined;
      if (listed !== undefined) return Response.json(listed);
      if (req.method !== "POST") {
        return controlError(405, `${req.method} ${controlRoot}${action} is not a control action`);
      }
      const body = await readJson(req);
      switch (action) {
        case "reset":
          await background.stop();
          requests.clear();
          faults.clear();
          latencyMs = 0;
          provider.reset();
          return Response.json({ reset: true });
        case "faults": {
          const rule = parseFaultRule(body);
          faults.add(rule);
          if (rule.drop) opts.onDropArmed?.();
          return Response.json({ pending: faults.pending() }, { status: 201 });
        }
        case "clear-faults":
          faults.clear();
          return Response.json({ pending: [] });
        case "faults/withdraw":
          return Response.json({ withdrawn: faults.withdraw(parseFaultRule(body)) });
        case "latency":
          latencyMs = parseLatency(body);
          return Response.json({ ms: latencyMs });
      }
      return (await provider.control?.(action, body)) ??
        controlError(
          404,
          `${controlRoot}${action} is not a control action of the ${provider.name} fake`,
        );
    } catch (error) {
      if (error instanceof ControlBodyError) return controlError(400, error.message);
      throw error;
    }
  }

  async function serve(req: Request): Promise<Answer> {
    const at = new Date().toISOString();
    const started = performance.now();
    const url = new URL(req.url);
    const raw = new Uint8Array(await req.arrayBuffer());
    const incoming: Incoming = {
      method: req.method,
      url,
      headers: req.headers,
      raw,
      body: parseBody(req.headers, raw),
    };
    const fault = faults.take(url.pathname, new TextDecoder().decode(raw));
    const waitMs = latencyMs + (fault?.delayMs ?? 0);
    let waited: Promise<void> | undefined;
    const deferred: Array<(signal: AbortSignal) => Promise<void>> = [];
    const ctx: HandlerContext = {
      delay:
        () => (waited ??= waitMs > 0
          ? new Promise((r) => setTimeout(r, waitMs))
          : Promise.resolve()),
      later: (task) => deferred.push(task),
    };

    const faultAnswer = (rule: FaultRule): Response => {
      const base = rule.body === undefined
        ? provider.faultResponse(rule.status!, incoming)
        : Response.json(rule.body, { status: rule.status });
      const headers = new Headers(base.headers);
      for (const [name, value] of Object.entries(rule.headers ?? {})) headers.set(name, value);
      return new Response(base.body, { status: base.status, headers });
    };

    let answer: Answer;
    if (fault?.acceptFirst) {
      // The provider has the message; only its answer is late, lost or wrong.
      const served = await provider.handle(incoming, { ...ctx, delay: () => Promise.resolve() });
      await ctx.delay();
      answer = fault.drop ? DROP : fault.status !== undefined ? faultAnswer(fault) : served;
    } else if (fault?.drop) {
      await ctx.delay();
      answer = DROP;
    } else if (fault?.status !== undefined) {
      await ctx.delay();
      answer = faultAnswer(fault);
    } else {
      answer = await provider.handle(incoming, ctx);
      await ctx.delay();
    }

    const response = answer === DROP ? undefined : answer;
    const faulted = fault !== undefined && (fault.drop === true || fault.status !== undefined);
    requests.add({
      at,
      method: req.method,
      path: url.pathname,
      query: redactQuery(url.searchParams),
      headers: redactHeaders(req.headers),
      body: incoming.body,
      response: response
        ? {
          status: response.status,
          headers: Object.fromEntries(response.headers),
          body: await describeResponseBody(response.clone()),
        }
        : { status: null, headers: {}, body: null },
      fault: faulted,
      dropped: response === undefined,
    });
    const outcome = `${response ? response.status : "dropped"}${faulted ? " (fault)" : ""}`;
    const ms = Math.round(performance.now() - started);
    const details = provider.describe?.(incoming);
    const line = `[fake ${provider.name}] ${req.method} ${url.pathname} → ${outcome} ${ms}ms`;
    opts.log(maskPII(details ? `${line} ${details}` : line));

    for (const task of deferred) {
      background.run(
        async (signal) => {
          await sleep(0, signal); // lets the answer be written before the task starts
          await task(signal);
        },
        (error) =>
          opts.log(`[fake ${provider.name}] deferred work failed: ${maskPII(String(error))}`),
      );
    }
    return answer;
  }

  return {
    handle(req) {
      const path = new URL(req.url).pathname;
      if (path.startsWith(controlRoot)) return control(req, path.slice(controlRoot.length));
      return serve(req);
    },
    dropPending: () => faults.pending().some((rule) => rule.drop),
    stop: () => background.stop(),
  };
}
