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

class RedirectingRequestClient extends twilio.RequestClient {
  readonly #apiBaseUrl: string;

  constructor(apiBaseUrl: string) {
    super();
    this.#apiBaseUrl = apiBaseUrl;
  }

  override request<TData>(opts: RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUri(opts.uri, this.#apiBaseUrl) });
  }
}

/** Creates the real Twilio SDK client; with `apiBaseUrl` every API call goes there instead. */
export function createTwilioClient(opts: TwilioClientOptions): TwilioClient {
  const httpClient = opts.apiBaseUrl ? new RedirectingRequestClient(opts.apiBaseUrl) : undefined;
  return twilio(opts.accountSid, opts.authToken, httpClient ? { httpClient } : {});
}
