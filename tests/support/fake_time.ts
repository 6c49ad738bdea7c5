/**
 * Fake time for unit tests: setTimeout, setInterval and Date run on a clock the test moves, so
 * a test of backoff, deadlines or wake-ups neither waits nor depends on how fast the machine is.
 * (Deno's std FakeTime is published on JSR only; this is the same idea from npm.)
 */
// @ts-types="@types/sinonjs__fake-timers"
import FakeTimers from "@sinonjs/fake-timers";

export type FakeClock = FakeTimers.InstalledClock;

/** Runs `body` on a fake clock starting at `now`, and puts the real timers back however it ends. */
export async function withFakeTime<T>(
  body: (clock: FakeClock) => Promise<T>,
  opts: { now?: Date } = {},
): Promise<T> {
  const clock = FakeTimers.install({
    now: opts.now ?? new Date("2026-11-25T16:00:00Z"),
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
  try {
    return await body(clock);
  } finally {
    clock.uninstall();
  }
}

/**
 * What `promise` has come to once everything due by now ran: its value, its error, or
 * "pending" (a test asserts a promise is still waiting without hanging on it).
 */
export async function settledState<T>(
  clock: FakeClock,
  promise: Promise<T>,
): Promise<{ value: T } | { error: unknown } | "pending"> {
  let state: { value: T } | { error: unknown } | "pending" = "pending";
  promise.then((value) => state = { value }, (error) => state = { error });
  await clock.tickAsync(0);
  return state;
}
