/**
 * The words every template shares: how a service, a vehicle, a date or an address reads.
 * Each helper copes with the fields a quick-quote lead leaves empty, so a template never
 * prints "null", "undefined" or a gap where a missing word was.
 */
import { TZDate } from "@date-fns/tz";
import { format } from "date-fns/format";
import type { Lead, ServiceType, SourceForm } from "../shared/leads/types.ts";
import type { Appointment } from "../shared/appointments/types.ts";

// What no customer means to type: control characters, and the invisible ones (zero-width,
// soft hyphen, byte-order mark, bidirectional overrides) that make a GSM-7 text UCS-2 or a
// name read differently from what it is. The database strips the same on the way in
// (public.clean_form_text); this covers what was saved before it did.
const INVISIBLE =
  // deno-lint-ignore no-control-regex -- control characters are exactly what it removes
  /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Longer than any one-line field the database accepts (an address: 200). */
const ONE_LINE_MAX = 300;

/**
 * Customer-typed text for a message: invisible characters removed, runs of whitespace (line
 * breaks included) collapsed to one space, cut past a sane length; null when nothing is left.
 */
export function cleanText(
  value: string | number | null | undefined,
  max: number = ONE_LINE_MAX,
): string | null {
  if (value === null || value === undefined) return null;
  const raw = String(value);
  // Cut before cleaning too, so a runaway value costs no more than a long one.
  const text = (raw.length > 4 * max ? raw.slice(0, 4 * max) : raw)
    .replace(INVISIBLE, "").replace(/\s+/g, " ").trim();
  return text === "" ? null : clip(text, max);
}

const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * `text` cut to at most `max` characters (whole graphemes: an emoji is never split), ending in
 * `ellipsis` when cut: where a customer's words meet a limit (a subject line, a staff email, a
 * text's budget, which cuts with GSM-7's "...").
 */
export function clip(text: string, max: number, ellipsis?: string): string;
export function clip(text: string | null, max: number, ellipsis?: string): string | null;
export function clip(text: string | null, max: number, ellipsis = "…"): string | null {
  if (text === null || text.length <= max) return text;
  let kept = "";
  for (const { segment } of graphemes.segment(text)) {
    if (kept.length + segment.length > max - ellipsis.length) break;
    kept += segment;
  }
  return `${kept.trimEnd()}${ellipsis}`;
}

/** "2019 Honda Civic", "Honda Civic", "2019 Honda"; null when the lead names no vehicle. */
export function vehicleDescription(
  lead: Pick<Lead, "vehicle_year" | "vehicle_make" | "vehicle_model">,
): string | null {
  const parts = [lead.vehicle_year, lead.vehicle_make, lead.vehicle_model]
    .map((part) => cleanText(part))
    .filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(" ") : null;
}

const SERVICE_TITLES: Readonly<Record<ServiceType, string>> = {
  repair: "Repair",
  replacement: "Replacement",
  calibration: "Calibration",
  other: "Other service",
};

/** The service as a title: "Replacement"; "Other service" for `other`. */
export function serviceTitle(service: ServiceType): string {
  return SERVICE_TITLES[service];
}

const SERVICE_PHRASES: Readonly<Record<ServiceType, string>> = {
  repair: "windshield repair",
  replacement: "windshield replacement",
  calibration: "windshield calibration",
  other: "auto glass service",
};

/** The service inside a sentence: "windshield replacement"; "auto glass service" for `other`. */
export function servicePhrase(service: ServiceType): string {
  return SERVICE_PHRASES[service];
}

/** "Jane Doe", or just "Jane" when the form asked for no last name. */
export function fullName(lead: Pick<Lead, "first_name" | "last_name">): string {
  return [cleanText(lead.first_name), cleanText(lead.last_name)]
    .filter((part): part is string => part !== null)
    .join(" ");
}

// What turns a field into someone else's message: a link, a domain, an address, a number to
// call. A dot with no space after it and 2+ letters behind ("x.co", "chase-secure.example") is
// a domain; an initial or an abbreviation ("J. R.", "St. John", "Jr.") is not.
const LINK_LIKE = /:\/\/|www\.|@|[\p{L}\p{N}-]+\.[\p{L}]{2,}/iu;
// A run of 5 or more digits, separators allowed between them: a phone number, an account.
const DIGIT_RUN = /\d(?:[\s().-]*\d){4,}/u;
const NAME_CHARS = /^[\p{L}\p{M}' .-]+$/u;
const VEHICLE_CHARS = /^[\p{L}\p{M}\p{N}' .&/+-]+$/u;

/**
 * Customer-typed words we may repeat to the customer (a text, an email's greeting or subject):
 * only letters, spaces and simple punctuation (a vehicle may have digits too, as in "F-150"),
 * no link, domain, email address, phone number or digit run, and short. Anything else is
 * refused (null), and the wording goes on without it: otherwise anyone could make the shop
 * send their words ("Your account is locked, verify at …") from its number to anyone's phone.
 * Staff messages show the words as typed (escaped), never this.
 */
export function customerWords(
  value: string | number | null | undefined,
  kind: "name" | "vehicle",
): string | null {
  const text = cleanText(value);
  if (text === null || text.length > 40) return null;
  if (!(kind === "name" ? NAME_CHARS : VEHICLE_CHARS).test(text)) return null;
  if (LINK_LIKE.test(text) || DIGIT_RUN.test(text)) return null;
  return text;
}

/** The customer's first name to greet them by; "there" if it is blank or refused. */
export function greetingName(lead: Pick<Lead, "first_name">): string {
  return customerWords(lead.first_name, "name") ?? "there";
}

/**
 * The vehicle as told back to the customer: vehicleDescription's parts that pass
 * customerWords; null when none does.
 */
export function customerVehicle(
  lead: Pick<Lead, "vehicle_year" | "vehicle_make" | "vehicle_model">,
): string | null {
  const parts = [lead.vehicle_year, lead.vehicle_make, lead.vehicle_model]
    .map((part) => customerWords(part, "vehicle"))
    .filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(" ") : null;
}

/** "123 Main St, Denver, CO 80202" from whichever parts the lead has; null when none. */
export function fullAddress(lead: Pick<Lead, "address" | "city" | "state" | "zip">): string | null {
  const stateZip = [cleanText(lead.state), cleanText(lead.zip)]
    .filter((part): part is string => part !== null)
    .join(" ");
  const parts = [cleanText(lead.address), cleanText(lead.city), cleanText(stateZip)]
    .filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(", ") : null;
}

/** "Friday, November 27, 2026" for "2026-11-27"; the value as given if it is not a date. */
export function formatPreferredDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!match) return isoDate;
  const [, year, month, day] = match.map(Number);
  return format(new TZDate(year, month - 1, day, "UTC"), "EEEE, MMMM d, yyyy");
}

// One formatter per zone: building an Intl.DateTimeFormat costs far more than using one, and
// every staff alert names a zone.
const zoneNamers = new Map<string, Intl.DateTimeFormat>();

/** "MST", "PDT": the zone's short name at that instant (what the wall clock shows). */
function zoneAbbreviation(timeZone: string, instant: Date): string {
  let namer = zoneNamers.get(timeZone);
  if (!namer) {
    namer = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "short" });
    zoneNamers.set(timeZone, namer);
  }
  return namer.formatToParts(instant).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
}

/** "Wed, Nov 25, 2026, 9:31 PM MST": an instant as the clock on the wall in `timeZone` shows it. */
export function formatInstant(instant: Date, timeZone: string): string {
  const wallClock = format(new TZDate(instant.getTime(), timeZone), "EEE, MMM d, yyyy, h:mm a");
  return `${wallClock} ${zoneAbbreviation(timeZone, instant)}`;
}

const SOURCE_FORM_LABELS: Readonly<Record<SourceForm, string>> = {
  quick_quote: "Quick Quote form",
  full_booking: "Full Booking form",
  api: "Website API",
};

/** Where the lead came from, for staff: "Quick Quote form". */
export function sourceFormLabel(source: SourceForm): string {
  return SOURCE_FORM_LABELS[source];
}

/** "Fri, Nov 27": an appointment's day as its shop's calendar shows it. */
export function appointmentDay(appointment: Pick<Appointment, "starts_at" | "time_zone">): string {
  return format(new TZDate(appointment.starts_at.getTime(), appointment.time_zone), "EEE, MMM d");
}

/** "Friday, November 27, 2026". */
export function appointmentLongDay(
  appointment: Pick<Appointment, "starts_at" | "time_zone">,
): string {
  return format(
    new TZDate(appointment.starts_at.getTime(), appointment.time_zone),
    "EEEE, MMMM d, yyyy",
  );
}

/** "9:00 AM": when the arrival window opens. */
export function appointmentTime(appointment: Pick<Appointment, "starts_at" | "time_zone">): string {
  return format(new TZDate(appointment.starts_at.getTime(), appointment.time_zone), "h:mm a");
}

/** "16 min", "2 h 5 min", "3 days 4 h": how long a lead has waited. */
export function waitedFor(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return `${days} day${days === 1 ? "" : "s"}${rest === 0 ? "" : ` ${rest} h`}`;
}
