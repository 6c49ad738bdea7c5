/** The admin's alert by text (when email is the failing channel): the headline and the time. */
import type { AlertNotice } from "../alert_notice.ts";
import { alertHeadline } from "../alert_notice.ts";
import { fitSms, STAFF_SMS_SEGMENTS } from "./fit.ts";

/** e.g. `leadwire ALERT (failing): resend failed 5 times in a row (…). Since 09:14 UTC.` */
export function adminAlertSms(alert: AlertNotice): string {
  return fitSms<"headline">(
    [(p) => `${p.headline}. Since ${alert.since.slice(0, 16).replace("T", " ")} UTC.`],
    { headline: alertHeadline(alert) },
    STAFF_SMS_SEGMENTS,
  );
}
