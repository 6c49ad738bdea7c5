/**
 * Ports of the local stack by mode: the test stack never collides with a running `npm start`.
 * `functions` is internal: the gateway on `api` proxies to the functions process there.
 */
export const PORTS = {
  dev: {
    api: 54321,
    db: 54322,
    inbox: 54324,
    twilio: 54325,
    resend: 54326,
    webhooks: 54327,
    functions: 54328,
    turnstile: 54329,
    sendgrid: 54330,
  },
  test: {
    api: 54421,
    db: 54422,
    inbox: 54424,
    twilio: 54425,
    resend: 54426,
    webhooks: 54427,
    functions: 54428,
    turnstile: 54429,
    sendgrid: 54430,
  },
} as const;

export type StackMode = keyof typeof PORTS;
