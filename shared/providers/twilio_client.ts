/**
 * The Twilio client our functions use: the real `twilio` SDK, optionally pointed at the
 * local fake. Twilio has no base-URL option, so a `RequestClient` subclass rewrites the
 * API origin of every request it is handed.
 */
import twilio from "twilio";

export interface TwilioClientOptions {
  accountSid: string;
  authToken: string;
  /** Origin that replaces `https://api.twilio.com`, e.g. `http://127.0.0.1:54330`. Default: the real API. */
  apiBaseUrl?: string;
}

export type TwilioClient = twilio.Twilio;

type RequestOptions<TData> = Parameters<twilio.RequestClient["request"]>[0] & { data?: TData };

// Matches api.twilio.com and its edge/region forms (api.sydney.au1.twilio.com), which the SDK
// produces when TWILIO_EDGE / TWILIO_REGION are set.
const twilioApiOrigin = /^https:\/\/api(\.[a-z0-9-]+)*\.twilio\.com(?=\/|$)/i;

/** Rewrites the Twilio API origin of `uri` to `apiBaseUrl`; other URIs pass unchanged. */
export function rewriteTwilioUri(uri: string, apiBaseUrl: string): string {
  return uri.replace(twilioApiOrigin, apiBaseUrl.replace(/\/+$/, ""));
}

/**
 * Every call gives up after 10 s (the SDK's default is 30 s): an outbox lease must outlast
 * the slowest call, and a short lease is what brings a dead sender's messages back quickly.
 * Keep-alive is off: under Deno, node:http sends a POST again by itself when a request on a
 * reused keep-alive socket is aborted, so a timed-out SMS went out twice (measured against
 * the fake; `fetch` does not do this). A fresh connection per call costs a handshake.
 */
export const TWILIO_TIMEOUT_MS = 10_000;
const HTTP_OPTIONS = { timeout: TWILIO_TIMEOUT_MS, keepAlive: false };

class RedirectingRequestClient extends twilio.RequestClient {
  readonly #apiBaseUrl: string;

  constructor(apiBaseUrl: string) {
    super(HTTP_OPTIONS);
    this.#apiBaseUrl = apiBaseUrl;
  }

  override request<TData>(opts: RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUri(opts.uri, this.#apiBaseUrl) });
  }
}

/** Creates the real Twilio SDK client; with `apiBaseUrl` every API call goes there instead. */
export function createTwilioClient(opts: TwilioClientOptions): TwilioClient {
  const httpClient = opts.apiBaseUrl
    ? new RedirectingRequestClient(opts.apiBaseUrl)
    : new twilio.RequestClient(HTTP_OPTIONS);
  return twilio(opts.accountSid, opts.authToken, { httpClient });
}
