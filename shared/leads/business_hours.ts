/**
 * Weekly opening hours read on the wall clock of an IANA zone: whether the shop (or one staff
 * member) is open at an instant, when it next opens, what a confirmation may promise the
 * customer, and when an unanswered lead falls due.
 */
import { TZDate } from "@date-fns/tz";
import { format } from "date-fns/format";

/** A day of the week, as the keys of {@linkcode WeeklyHours} spell it. */
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/**
 * Opening hours per weekday, "HH:MM" 24-hour wall-clock times with `close` after `open` on the
 * same day; a missing day is closed. The jsonb shape of `business_settings.business_hours` and
 * `staff_members.working_hours`.
 */
export type WeeklyHours = Partial<
  Record<Weekday, { open: string; close: string }>
>;

// Indexed by Date#getDay(): Sunday is 0.
const WEEKDAYS: readonly Weekday[] = [
  "sun",
  "mon",
  "tue",
  "wed",
  "thu",
  "fri",
  "sat",
];
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const SEARCH_DAYS = 8;
const MINUTE_MS = 60_000;

/**
 * Checks a stored jsonb value and returns it as {@linkcode WeeklyHours}; a day set to null is
 * read as closed.
 *
 * @throws {TypeError} Naming the day and value that do not fit, e.g.
 *   `Cannot read weekly hours: mon.open "8am" is not a 24-hour "HH:MM" time`.
 */
export function parseWeeklyHours(value: unknown): WeeklyHours {
  const fail = (why: string) => new TypeError(`Cannot read weekly hours: ${why}`);
  if (!isRecord(value)) {
    throw fail(
      `expected an object like {"mon": {"open": "08:00", "close": "18:00"}}`,
    );
  }
  const hours: WeeklyHours = {};
  for (const [day, span] of Object.entries(value)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) {
      throw fail(`"${day}" is not a day (use ${WEEKDAYS.join(", ")})`);
    }
    if (span === null) continue;
    if (!isRecord(span)) {
      throw fail(`${day} must be {"open": "HH:MM", "close": "HH:MM"} or null`);
    }
    for (const field of ["open", "close"]) {
      if (typeof span[field] !== "string" || !TIME.test(span[field])) {
        throw fail(
          `${day}.${field} ${JSON.stringify(span[field])} is not a 24-hour "HH:MM" time`,
        );
      }
    }
    const { open, close } = span as { open: string; close: string };
    if (close <= open) {
      throw fail(
        `${day} closes at ${close}, not after it opens at ${open} (no overnight hours)`,
      );
    }
    hours[day as Weekday] = { open, close };
  }
  return hours;
}

/** Whether `instant` is within its day's hours in `timeZone` (open inclusive, close exclusive). */
export function isOpenAt(
  hours: WeeklyHours,
  timeZone: string,
  instant: Date,
): boolean {
  return openSpanAt(hours, timeZone, instant) !== null;
}

/**
 * `instant` itself when open then, else the next opening in `timeZone`'s wall clock (searched
 * up to 8 days ahead, so a shop open one day a week is found); null when no day is open.
 */
export function openingAtOrAfter(
  hours: WeeklyHours,
  timeZone: string,
  instant: Date,
): Date | null {
  if (isOpenAt(hours, timeZone, instant)) return instant;
  const local = new TZDate(instant.getTime(), timeZone);
  for (let offset = 0; offset <= SEARCH_DAYS; offset++) {
    const span = hours[WEEKDAYS[(local.getDay() + offset) % 7]];
    if (!span) continue;
    const opening = wallClock(local, offset, span.open, timeZone);
    if (opening > instant) return opening;
  }
  return null;
}

/** What a confirmation may promise: a call within minutes, or a call when the shop opens. */
export type CallbackPromise =
  | { kind: "within"; minutes: number }
  | { kind: "at_opening"; at: Date; words: string };

/**
 * A call within `minutes` when the shop is open now and still open `minutes` from now;
 * otherwise a call at the next opening after it stops being possible, worded for the customer's
 * zone ("at 8:00 am", "tomorrow at 8:00 am", "on Monday at 8:00 am"). With no open day
 * configured the promise stays "within".
 */
export function callbackPromise(
  hours: WeeklyHours,
  shopZone: string,
  customerZone: string,
  now: Date,
  minutes = 15,
): CallbackPromise {
  const today = openSpanAt(hours, shopZone, now);
  const deadline = new Date(now.getTime() + minutes * MINUTE_MS);
  if (today && isOpenAt(hours, shopZone, deadline)) {
    return { kind: "within", minutes };
  }
  // Open, but closing before a call could be made: promise the opening after today's close.
  const from = today ? wallClock(today.local, 0, today.span.close, shopZone) : now;
  const at = openingAtOrAfter(hours, shopZone, from);
  if (at === null) return { kind: "within", minutes };
  return { kind: "at_opening", at, words: openingWords(at, now, customerZone) };
}

/**
 * The sentence SMS and email use for a {@linkcode CallbackPromise}: "We'll call you within 15
 * minutes to confirm your appointment." or "We'll call you when we open tomorrow at 8:00 am to
 * confirm your appointment."
 */
export function callbackSentence(promise: CallbackPromise): string {
  // A straight apostrophe: a curly one would push the SMS out of GSM-7 into UCS-2.
  const when = promise.kind === "within"
    ? `within ${promise.minutes} ${promise.minutes === 1 ? "minute" : "minutes"}`
    : `when we open ${promise.words}`;
  return `We'll call you ${when} to confirm your appointment.`;
}

/**
 * The speed-to-lead deadline: `minutes` after the lead arrived, except that a lead arriving
 * while closed starts its clock at the next opening. Without open hours: `createdAt` + minutes.
 * The clock does not pause at closing, so a lead just before closing falls due after it.
 */
export function escalationDueAt(
  createdAt: Date,
  hours: WeeklyHours,
  timeZone: string,
  minutes: number,
): Date {
  const start = openingAtOrAfter(hours, timeZone, createdAt) ?? createdAt;
  return new Date(start.getTime() + minutes * MINUTE_MS);
}

/** A staff member's quiet hours: "HH:MM" wall-clock times in `timeZone`; may span midnight. */
export interface QuietHours {
  start: string;
  end: string;
  timeZone: string;
}

/**
 * Until when a staff text must wait: null when it may go at `now` (no quiet hours, outside
 * them, or the shop open); otherwise the end of the quiet hours or the shop's next opening,
 * whichever comes first. A shop that keeps no hours is not known to be open, so quiet hours
 * hold there.
 */
export function quietUntil(
  now: Date,
  quiet: QuietHours | null,
  shop: { hours: WeeklyHours | null; timeZone: string },
): Date | null {
  if (!quiet) return null;
  if (shop.hours && isOpenAt(shop.hours, shop.timeZone, now)) return null;
  const local = new TZDate(now.getTime(), quiet.timeZone);
  const minute = local.getHours() * 60 + local.getMinutes();
  const start = minuteOfDay(quiet.start);
  const end = minuteOfDay(quiet.end);
  const inQuiet = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inQuiet) return null;
  const ends = wallClock(local, minute < end ? 0 : 1, quiet.end, quiet.timeZone);
  const opening = shop.hours ? openingAtOrAfter(shop.hours, shop.timeZone, now) : null;
  return opening && opening < ends ? opening : ends;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function minuteOfDay(time: string): number {
  const [hour, minute] = time.split(":").map(Number);
  return hour * 60 + minute;
}

/** The instant of wall-clock `time` on the day `dayOffset` days after `local`'s, in `timeZone`. */
function wallClock(
  local: TZDate,
  dayOffset: number,
  time: string,
  timeZone: string,
): Date {
  const [hour, minute] = time.split(":").map(Number);
  const moment = new TZDate(
    local.getFullYear(),
    local.getMonth(),
    local.getDate() + dayOffset,
    hour,
    minute,
    0,
    timeZone,
  );
  return new Date(moment.getTime());
}

/** The day's hours and `instant` on `timeZone`'s wall clock, when open at `instant`; else null. */
function openSpanAt(
  hours: WeeklyHours,
  timeZone: string,
  instant: Date,
): { local: TZDate; span: { open: string; close: string } } | null {
  const local = new TZDate(instant.getTime(), timeZone);
  const span = hours[WEEKDAYS[local.getDay()]];
  if (!span) return null;
  const minute = local.getHours() * 60 + local.getMinutes();
  const open = minute >= minuteOfDay(span.open) &&
    minute < minuteOfDay(span.close);
  return open ? { local, span } : null;
}

/** "at 5:00 am", "tomorrow at 8:00 am", "on Monday at 8:00 am", on the customer's clock. */
function openingWords(at: Date, now: Date, customerZone: string): string {
  const opening = new TZDate(at.getTime(), customerZone);
  const today = new TZDate(now.getTime(), customerZone);
  const time = `at ${format(opening, "h:mm a").toLowerCase()}`;
  const days = Math.round(
    (calendarDay(opening) - calendarDay(today)) / 86_400_000,
  );
  if (days === 0) return time;
  if (days === 1) return `tomorrow ${time}`;
  return `on ${format(opening, "EEEE")} ${time}`;
}

/** The local calendar date as a UTC midnight, so two dates subtract to whole days. */
function calendarDay(local: TZDate): number {
  return Date.UTC(local.getFullYear(), local.getMonth(), local.getDate());
}
