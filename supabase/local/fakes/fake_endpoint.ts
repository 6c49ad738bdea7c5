/**
 * The part every fake shares: the control API under `<prefix>/__fake/`, fault and latency
 * injection, recording, and one masked log line per request. A provider only says how it
 * answers a request and what its default error looks like.
 */
import { describeResponseBody, parseBody } from "./body.ts";
import { BackgroundTasks, sleep } from "./background.ts";
import { ControlBodyError, FaultBook, parseFaultRule, parseLatency } from "./faults.ts";
import { maskContacts } from "./masking.ts";
import { redactHeaders, redactQuery, RequestLog } from "./recorder.ts";

/** A request with its body read once and parsed. */
export interface Incoming {
  method: string;
  url: URL;
  headers: Headers;
  raw: Uint8Array;
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
  /** The provider's own error answer for a fault that gives a status but no body. */
  faultResponse(status: number): Response;
  /** Accepted sends, for `GET /__fake/messages` and the inbox. */
  messages(): unknown[];
  reset(): void;
  /** Provider-specific control actions (`POST /__fake/<action>`); undefined = unknown action. */
  control?(action: string, body: unknown): Response | undefined;
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
}

export interface FakeEndpoint {
  handle(req: Request): Promise<Answer>;
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
      if (req.method !== "POST") return controlError(405, `${req.method} ${controlRoot}${action} is not a control action`);
      const body = await readJson(req);
      switch (action) {
        case "reset":
          await background.stop();
          requests.clear();
          faults.clear();
          latencyMs = 0;
          provider.reset();
          return Response.json({ reset: true });
        case "faults":
          faults.add(parseFaultRule(body));
          return Response.json({ pending: faults.pending() }, { status: 201 });
        case "latency":
          latencyMs = parseLatency(body);
          return Response.json({ ms: latencyMs });
      }
      return provider.control?.(action, body) ??
        controlError(404, `${controlRoot}${action} is not a control action of the ${provider.name} fake`);
    } catch (error) {
      if (error instanceof ControlBodyError) return controlError(400, error.message);
      throw error;
    }
  }

  async function serve(req: Request): Promise<Answer> {
    const started = performance.now();
    const url = new URL(req.url);
    const raw = new Uint8Array(await req.arrayBuffer());
    const incoming: Incoming = { method: req.method, url, headers: req.headers, raw, body: await parseBody(req.headers, raw) };
    const fault = faults.take(url.pathname);
    const waitMs = latencyMs + (fault?.delayMs ?? 0);
    let waited: Promise<void> | undefined;
    const deferred: Array<(signal: AbortSignal) => Promise<void>> = [];
    const ctx: HandlerContext = {
      delay: () => (waited ??= waitMs > 0 ? new Promise((r) => setTimeout(r, waitMs)) : Promise.resolve()),
      later: (task) => deferred.push(task),
    };

    let answer: Answer;
    if (fault?.drop) {
      await ctx.delay();
      answer = DROP;
    } else if (fault?.status !== undefined) {
      await ctx.delay();
      const base = fault.body === undefined
        ? provider.faultResponse(fault.status)
        : Response.json(fault.body, { status: fault.status });
      const headers = new Headers(base.headers);
      for (const [name, value] of Object.entries(fault.headers ?? {})) headers.set(name, value);
      answer = new Response(base.body, { status: base.status, headers });
    } else {
      answer = await provider.handle(incoming, ctx);
      await ctx.delay();
    }

    const isResponse = answer instanceof Response;
    const faulted = fault !== undefined && (fault.drop === true || fault.status !== undefined);
    requests.add({
      at: new Date().toISOString(),
      method: req.method,
      path: url.pathname,
      query: redactQuery(url.searchParams),
      headers: redactHeaders(req.headers),
      body: incoming.body,
      response: isResponse
        ? {
          status: answer.status,
          headers: Object.fromEntries(answer.headers),
          body: await describeResponseBody((answer as Response).clone()),
        }
        : { status: null, headers: {}, body: null },
      fault: faulted,
      dropped: !isResponse,
    });
    const outcome = isResponse ? String((answer as Response).status) : "dropped";
    const details = provider.describe?.(incoming) ?? "";
    opts.log(
      maskContacts(
        `[fake ${provider.name}] ${req.method} ${url.pathname} → ${outcome}${faulted ? " (fault)" : ""} ` +
          `${Math.round(performance.now() - started)}ms${details ? ` ${details}` : ""}`,
      ),
    );

    for (const task of deferred) {
      background.run(async (signal) => {
        await sleep(0, signal); // lets the answer be written before the task starts
        await task(signal);
      }, (error) => opts.log(`[fake ${provider.name}] deferred work failed: ${maskContacts(String(error))}`));
    }
    return answer;
  }

  return {
    handle(req) {
      const path = new URL(req.url).pathname;
      if (path.startsWith(controlRoot)) return control(req, path.slice(controlRoot.length));
      return serve(req);
    },
    stop: () => background.stop(),
  };
}
