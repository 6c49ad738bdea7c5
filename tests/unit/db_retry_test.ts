import assert from "node:assert/strict";
import { isConnectionError, whileDatabaseAway } from "../../shared/platform/db_retry.ts";
import { withFakeTime } from "../support/fake_time.ts";

Deno.test("isConnectionError() tells a lost database from a bad query", async (t) => {
  const cases: Array<[string, unknown, boolean]> = [
    ["postgres.js: connection closed", { code: "CONNECTION_CLOSED" }, true],
    ["refused", { code: "ECONNREFUSED" }, true],
    ["terminated by the administrator (restart)", { code: "57P01" }, true],
    ["the database is starting up", { code: "57P03" }, true],
    ["connection exception class 08", { code: "08006" }, true],
    ["unique violation", { code: "23505" }, false],
    ["check violation", { code: "23514" }, false],
    ["a plain error", new Error("boom"), false],
  ];
  for (const [name, err, expected] of cases) {
    await t.step(name, () => assert.equal(isConnectionError(err), expected));
  }
});

Deno.test("whileDatabaseAway() retries while the connection fails, reports the outage once, and rethrows anything else", async () => {
  await withFakeTime(async (clock) => {
    let calls = 0;
    const outages: unknown[] = [];
    const started = Date.now();
    const answered = whileDatabaseAway(() => {
      calls++;
      return calls < 4 ? Promise.reject({ code: "57P01" }) : Promise.resolve("answered");
    }, { deadline: Date.now() + 5_000, baseDelayMs: 1, onOutage: (e) => outages.push(e) });
    await clock.runAllAsync();
    assert.equal(await answered, "answered");
    assert.equal(calls, 4);
    assert.equal(outages.length, 1);
    assert.equal(Date.now() - started, 1 + 2 + 4, "backing off 1, 2, then 4 ms");

    await assert.rejects(
      whileDatabaseAway(() => Promise.reject(Object.assign(new Error("dup"), { code: "23505" })), {
        deadline: Date.now() + 5_000,
      }),
      /dup/,
    );
    let tries = 0;
    const givenUp = assert.rejects(
      whileDatabaseAway(() => (tries++, Promise.reject({ code: "ECONNREFUSED" })), {
        deadline: Date.now() + 50,
        baseDelayMs: 20,
      }),
      (err: { code: string }) => err.code === "ECONNREFUSED",
      "gives up at the deadline",
    );
    await clock.runAllAsync();
    await givenUp;
    assert.equal(tries, 2, "at 0 and 20 ms; a third, 40 ms later, would pass the deadline");
  });
});

Deno.test("whileDatabaseAway() gives up on an attempt that never settles and tries again", async () => {
  await withFakeTime(async (clock) => {
    let calls = 0;
    const outages: unknown[] = [];
    const started = Date.now();
    const result = whileDatabaseAway(
      () => ++calls === 1 ? new Promise<string>(() => {}) : Promise.resolve("answered"),
      {
        deadline: Date.now() + 5_000,
        attemptTimeoutMs: 50,
        baseDelayMs: 1,
        onOutage: (err) => outages.push(err),
      },
    );
    await clock.runAllAsync();
    assert.equal(await result, "answered");
    assert.equal(calls, 2);
    assert.equal((outages[0] as { code: string }).code, "QUERY_STALLED");
    assert.equal(Date.now() - started, 50 + 1, "given up at 50 ms, tried again 1 ms later");
  });
});
