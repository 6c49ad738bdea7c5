/** Resend's error answers: `{"statusCode","message","name"}`, as the SDK hands them back. */

export type ResendErrorName =
  | "validation_error"
  | "missing_required_field"
  | "invalid_idempotency_key"
  | "invalid_idempotent_request"
  | "concurrent_idempotent_requests"
  | "missing_api_key"
  | "invalid_api_key"
  | "not_found"
  | "method_not_allowed"
  | "rate_limit_exceeded"
  | "application_error"
  | "internal_server_error";

export function resendError(
  status: number,
  name: ResendErrorName,
  message: string,
  headers?: HeadersInit,
): Response {
  return Response.json({ statusCode: status, message, name }, { status, headers });
}

/** Headers of a 429: Resend sends the IETF ratelimit-* set and retry-after (seconds). */
export function rateLimitHeaders(
  limit: number,
  remaining: number,
  resetSeconds: number,
): Record<string, string> {
  return {
    "ratelimit-limit": String(limit),
    "ratelimit-remaining": String(remaining),
    "ratelimit-reset": String(resetSeconds),
    "retry-after": String(Math.max(1, resetSeconds)),
  };
}

export function rateLimitExceeded(limit: number, resetSeconds: number): Response {
  return resendError(
    429,
    "rate_limit_exceeded",
    `Too many requests. You can only make ${limit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`,
    rateLimitHeaders(limit, 0, resetSeconds),
  );
}

/** Resend's answer for a bare status (used by faults). */
export function resendGenericError(status: number, rateLimit: number): Response {
  switch (status) {
    case 400:
      return resendError(
        400,
        "validation_error",
        "We found an error with one or more fields in the request.",
      );
    case 401:
      return resendError(401, "missing_api_key", "Missing API key in the authorization header.");
    case 403:
      return resendError(403, "invalid_api_key", "API key is invalid");
    case 404:
      return resendError(404, "not_found", "The requested endpoint does not exist.");
    case 405:
      return resendError(
        405,
        "method_not_allowed",
        "Method is not allowed for the requested path.",
      );
    case 409:
      return resendError(
        409,
        "concurrent_idempotent_requests",
        "Same idempotency key used while original request is still in progress.",
      );
    case 422:
      return resendError(
        422,
        "validation_error",
        "We found an error with one or more fields in the request.",
      );
    case 429:
      return rateLimitExceeded(rateLimit, 1);
  }
  if (status >= 500) {
    return resendError(status, "internal_server_error", "An unexpected error occurred.");
  }
  return resendError(status, "application_error", "An unexpected error occurred.");
}
