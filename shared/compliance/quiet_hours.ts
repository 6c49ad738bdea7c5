/**
 * When a text may reach a customer: the recipient's local time decides (TCPA quiet hours).
 * The lead's zone (`leads.time_zone`, which the database sets from its ZIP, else its state,
 * when the lead is saved; with `also_time_zones` where only a split state is known) gives one
 * or more time zones and the phone's area code may give others (an address anyone can type is
 * no proof of where the phone is): a text goes only at a moment allowed in every one of them,
 * else it moves to the next such moment.
 */
import { TZDate } from "@date-fns/tz";
import type { BusinessSettings, Lead } from "../leads/types.ts";
import { NANP_TIME_ZONES } from "./nanp_time_zones.ts";

/** States whose own telemarketing laws allow texts only 8 am–8 pm and 3 per 24 hours. */
export const STRICT_SMS_STATES: readonly string[] = ["FL", "OK", "MD"];

/** States whose laws end texting at 8 pm (Washington, RCW 19.158.040, without a daily cap). */
const EIGHT_PM_STATES: readonly string[] = [...STRICT_SMS_STATES, "WA"];

const STRICT_START_HOUR = 8;
const STRICT_END_HOUR = 20;
const STRICT_DAILY_CAP = 3;

function normalizeState(state: string | null | undefined): string | null {
  const code = state?.trim().toUpperCase();
  return code ? code : null;
}

function isStrictState(state: string | null | undefined, states = STRICT_SMS_STATES): boolean {
  const code = normalizeState(state);
  return code !== null && states.includes(code);
}

/**
 * The time zones a North American number's prefix (area code, or area code and exchange) is
 * used in, longest prefix first matching; none for another country or an unknown prefix.
 */
export function timeZonesForPhone(phone: string | null | undefined): string[] {
  const national = /^\+1(\d{10})$/.exec(phone ?? "")?.[1];
  if (!national) return [];
  for (let length = 7; length >= 3; length--) {
    const zones = NANP_TIME_ZONES[national.slice(0, length)];
    if (zones) return zones.split("&");
  }
  return [];
}

/**
 * How many texts one phone number may receive in 24 hours: the shop's cap
 * (`business_settings.sms_daily_cap`), never more than 3 in Florida, Oklahoma or Maryland.
 */
export function dailySmsCap(configuredCap: number, state: string | null | undefined): number {
  return isStrictState(state) ? Math.min(configuredCap, STRICT_DAILY_CAP) : configuredCap;
}

/** Options for {@linkcode nextAllowedSendTime}. */
export interface SendWindow {
  /** IANA zone of the recipient: their lead's `time_zone`. */
  timeZone: string;
  /**
   * Zones the recipient may be in as well (their lead's `also_time_zones`, their phone's area
   * code: timeZonesForPhone): the text must be allowed in each.
   */
  alsoTimeZones?: readonly string[];
  /** First hour a text may go out, recipient local time, inclusive (0–23). */
  startHour: number;
  /** Hour from which texts must wait for the next day, exclusive (1–24). 0 to 24 means always. */
  endHour: number;
  /** Recipient's two-letter state; FL, OK and MD narrow the window to 8 am–8 pm. */
  state?: string | null;
}

/**
 * The window a text to `phone` about `lead` must fall in: the shop's texting hours on the clock
 * of the lead's zones and of every zone of the phone's area code, under the lead's state's rules.
 */
export function smsWindow(
  lead: Pick<Lead, "state" | "time_zone" | "also_time_zones">,
  phone: string | null | undefined,
  settings: Pick<BusinessSettings, "sms_window_start_hour" | "sms_window_end_hour">,
): SendWindow {
  return {
    timeZone: lead.time_zone,
    alsoTimeZones: [...lead.also_time_zones, ...timeZonesForPhone(phone)],
    startHour: settings.sms_window_start_hour,
    endHour: settings.sms_window_end_hour,
    state: lead.state,
  };
}

/**
 * The earliest moment at or after `now` when a text may be sent to the recipient: inside the
 * window on the clock of every zone they may be in.
 *
 * Returns `now` itself when it is allowed; otherwise the next window start that is allowed
 * everywhere, in the recipients' local time, which stays right across daylight-saving changes
 * (9:30 pm in Denver moves to 8:00 am the next day, whatever the UTC offset then is). Null
 * when the zones' windows never overlap (Guam and New York: 15 hours apart).
 *
 * @throws {RangeError} When the hours do not describe a window.
 */
export function nextAllowedSendTime(now: Date, window: SendWindow): Date | null {
  const hours = allowedHours(window);
  const zones = zonesOf(window);
  // The first allowed moment is `now` or some zone's window start (where the last of the
  // windows opens), within two days.
  const candidates = [
    now,
    ...zones.flatMap((zone) =>
      [0, 1, 2].map((day) =>
        localTime(new TZDate(now.getTime(), zone), day, hours.startHour * 60, zone)
      )
    ),
  ].filter((c) => c >= now).sort((a, b) => a.getTime() - b.getTime());
  return candidates.find((c) => allowedEverywhere(c, zones, hours)) ?? null;
}

/**
 * The latest moment at or before `at` when a text may be sent to the recipient: `at` itself
 * when it is allowed; otherwise the last minute allowed in every zone before it (7:59 pm for a
 * window ending at 8 pm), that evening or the evening before. Null when the windows never
 * overlap.
 *
 * @throws {RangeError} When the hours do not describe a window.
 */
export function latestAllowedSendTime(at: Date, window: SendWindow): Date | null {
  const hours = allowedHours(window);
  const zones = zonesOf(window);
  const candidates = [
    at,
    ...zones.flatMap((zone) =>
      [0, -1, -2].map((day) =>
        localTime(new TZDate(at.getTime(), zone), day, hours.endHour * 60 - 1, zone)
      )
    ),
  ].filter((c) => c <= at).sort((a, b) => b.getTime() - a.getTime());
  return candidates.find((c) => allowedEverywhere(c, zones, hours)) ?? null;
}

function zonesOf(window: SendWindow): string[] {
  return [...new Set([window.timeZone, ...(window.alsoTimeZones ?? [])])];
}

/** Whether `instant` is inside the hours on the clock of each zone. */
function allowedEverywhere(
  instant: Date,
  zones: readonly string[],
  { startHour, endHour }: { startHour: number; endHour: number },
): boolean {
  return zones.every((zone) => {
    const local = new TZDate(instant.getTime(), zone);
    const minute = local.getHours() * 60 + local.getMinutes();
    return minute >= startHour * 60 && minute < endHour * 60;
  });
}

/** The window's hours, narrowed to 8 am–8 pm in FL, OK, MD and WA. */
function allowedHours(window: SendWindow): { startHour: number; endHour: number } {
  const { startHour, endHour } = window;
  if (
    !Number.isInteger(startHour) || !Number.isInteger(endHour) || startHour < 0 ||
    endHour > 24 || startHour >= endHour
  ) {
    throw new RangeError(
      `Cannot compute a send time: hours ${startHour}–${endHour} are not a window within 0–24`,
    );
  }
  return isStrictState(window.state, EIGHT_PM_STATES)
    ? {
      startHour: Math.max(startHour, STRICT_START_HOUR),
      endHour: Math.min(endHour, STRICT_END_HOUR),
    }
    : { startHour, endHour };
}

/** A wall-clock minute of the day `dayOffset` days from `local`'s, in `timeZone`. */
function localTime(local: TZDate, dayOffset: number, minuteOfDay: number, timeZone: string): Date {
  const moment = new TZDate(
    local.getFullYear(),
    local.getMonth(),
    local.getDate() + dayOffset,
    Math.floor(minuteOfDay / 60),
    minuteOfDay % 60,
    0,
    timeZone,
  );
  return new Date(moment.getTime());
}
