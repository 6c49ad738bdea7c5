/**
 * Masks phone numbers and email addresses before they reach a log line: enough is left to
 * tell two recipients apart, not enough to contact one.
 */

const phonePattern = /\+\d{6,15}\b/g;
const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

/** `+17205557465` → `+1720***7465`. */
export function maskPhone(phone: string): string {
  if (phone.length < 10) return `${phone.slice(0, 3)}***${phone.slice(-2)}`;
  return `${phone.slice(0, 5)}***${phone.slice(-4)}`;
}

/** `jane@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at < 1) return "***";
  return `${email[0]}***${email.slice(at)}`;
}

/** Masks every E.164 phone number and email address found in `text`. */
export function maskContacts(text: string): string {
  return text.replace(emailPattern, maskEmail).replace(phonePattern, maskPhone);
}
