/**
 * The Resend client our functions use: the real `resend` SDK, optionally pointed at the
 * local fake. resend@6.38.0 takes `new Resend(key, { baseUrl })` and otherwise reads
 * `RESEND_BASE_URL` from the environment; we pass the option so a stray env var cannot
 * redirect production mail.
 *
 * The SDK never throws for API or network errors: every call resolves to
 * `{ data, error, headers }`, and a network failure is `error.name === "application_error"`
 * with `statusCode: null`.
 */
import { Resend } from "resend";

export interface ResendClientOptions {
  apiKey: string;
  /** e.g. `http://127.0.0.1:54331`. Default: `https://api.resend.com`. */
  baseUrl?: string;
}

const defaultBaseUrl = "https://api.resend.com";

/** Creates the real Resend SDK client, talking to `baseUrl` (default: the real API). */
export function createResendClient(opts: ResendClientOptions): Resend {
  return new Resend(opts.apiKey, { baseUrl: (opts.baseUrl ?? defaultBaseUrl).replace(/\/+$/, "") });
}
