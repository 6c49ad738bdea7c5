/**
 * Whether an email address is one the providers will take (pure). Resend refuses a `to` that is
 * not `local@domain.tld` with no spaces, angle brackets or a second `@` (422 validation_error),
 * and SendGrid also refuses quotes, commas and semicolons in it. A database check lets more
 * through (a quoted local part is valid mail syntax), and a form may type anything: such an
 * address is the customer's problem, recorded as `invalid_address` before anything is sent,
 * never an outage.
 */
const DELIVERABLE = /^[^\s@<>"(),;:\\[\]]+@[^\s@<>"(),;:\\[\]]+\.[^\s@<>"(),;:\\[\]]+$/;

export function isDeliverableEmail(address: string): boolean {
  return address.length <= 254 && DELIVERABLE.test(address);
}
