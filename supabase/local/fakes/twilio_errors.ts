/**
 * Twilio's error answers: `{"code","message","more_info","status"}` (the legacy format the
 * SDK turns into RestException), with the codes our functions branch on.
 */

/** Twilio's JSON error body and status. */
export function twilioError(
  status: number,
  code: number,
  message: string,
  headers?: HeadersInit,
): Response {
  return Response.json(
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { status, headers },
  );
}

/** Codes for a fault that names only a status. */
const genericByStatus: Record<number, [code: number, message: string]> = {
  401: [20003, "Authenticate"],
  403: [20003, "Permission Denied"],
  404: [20404, "The requested resource was not found"],
  405: [20004, "Method not allowed"],
  429: [20429, "Too Many Requests"],
  500: [20500, "Internal Server Error"],
  503: [20503, "Service Unavailable"],
};

/** Twilio's answer for a bare status (used by faults); a 429 carries Retry-After. */
export function twilioGenericError(status: number): Response {
  const [code, message] = genericByStatus[status] ??
    (status >= 500 ? [20500, "Internal Server Error"] : [20001, "Bad Request"]);
  return twilioError(status, code, message, status === 429 ? { "retry-after": "1" } : undefined);
}

/**
 * Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials): as `To`
 * they fail the send with these permanent errors.
 */
export const magicToNumbers: Record<string, [code: number, message: (to: string) => string]> = {
  "+15005550001": [21211, (to) => `The 'To' number ${to} is not a valid phone number.`],
  "+15005550002": [
    21612,
    (to) => `The 'To' phone number: ${to}, is not currently reachable via SMS.`,
  ],
  "+15005550003": [
    21408,
    (to) =>
      `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
  ],
  "+15005550004": [21610, () => "Attempt to send to unsubscribed recipient"],
  "+15005550009": [21614, (to) => `'To' number ${to} is not a valid mobile number`],
};

/** Magic `From` numbers that fail the send. */
export const magicFromNumbers: Record<string, [code: number, message: (from: string) => string]> = {
  "+15005550001": [
    21212,
    (from) =>
      `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
  ],
  "+15005550007": [
    21606,
    (from) =>
      `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination.`,
  ],
  "+15005550008": [
    21611,
    () => "This 'From' number has exceeded the maximum number of queued messages",
  ],
};
