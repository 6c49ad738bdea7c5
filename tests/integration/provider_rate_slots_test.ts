import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { RateLimiter } from "../../shared/outbox/rate_limiter.ts";

await requireStack();

Deno.test("RateLimiter lets 2 calls through per window across senders, and the third waits a window after an answer", async () => {
  const a = connect({ max: 2 });
  const b = connect({ max: 2 });
  const provider = `test-${crypto.randomUUID()}`;
  try {
    // Two senders, as two function instances would be: separate pools, one shared limit.
    const senders = [new RateLimiter(a, provider, 2, 300), new RateLimiter(b, provider, 2, 300)];
    const first = await senders[0].take();
    const second = await senders[1].take();
    const [full] =
      await a`select slot_id, wait_ms from public.take_provider_slot(${provider}, 2, 300)`;
    assert.equal(full.slot_id, null, "no third slot while two calls are on the wire");
    assert.ok(full.wait_ms > 0);

    const beforeAnswers = Date.now();
    await first();
    await second();
    const third = await senders[0].take();
    const waited = Date.now() - beforeAnswers;
    await third();
    assert.ok(
      waited >= 300,
      `the third call went ${waited} ms after the answers, not before the window ended`,
    );
  } finally {
    await Promise.all([a.end(), b.end()]);
  }
});

Deno.test("RateLimiter holds a slot while its call is unanswered, and honours a pause", async (t) => {
  const sql = connect({ max: 2 });
  const provider = `test-${crypto.randomUUID()}`;
  const limiter = new RateLimiter(sql, provider, 1, 50);
  try {
    await t.step("an unanswered call keeps the only slot", async () => {
      const first = await limiter.take();
      let second = false;
      const waiting = limiter.take().then(async (done) => {
        second = true;
        await done();
      });
      // Asked directly, the database has no slot to give either: the waiting take cannot have one.
      const [free] = await sql`select slot_id from public.take_provider_slot(${provider}, 1, 50)`;
      assert.equal(free.slot_id, null, "the unanswered call still holds the only slot");
      assert.equal(second, false);
      await first();
      await waiting;
      assert.equal(second, true);
    });
    await t.step("a pause holds everyone back", async () => {
      // Timed from before the pause is set (the database's clock is this machine's): a lower
      // bound a slow machine can only make longer.
      const started = Date.now();
      await limiter.pauseFor(300);
      await (await limiter.take())();
      assert.ok(Date.now() - started >= 300, `waited ${Date.now() - started} ms`);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("a limit the provider states replaces the assumed one for every sender", async () => {
  const a = connect({ max: 2 });
  const b = connect({ max: 2 });
  const provider = `test-${crypto.randomUUID()}`;
  try {
    const assumed = [new RateLimiter(a, provider, 2, 1000), new RateLimiter(b, provider, 2, 1000)];
    const slotFree = async () => {
      const [slot] =
        await a`select slot_id, wait_ms from public.take_provider_slot(${provider}, 2, 1000)`;
      return slot.slot_id !== null;
    };
    const held = [await assumed[0].take(), await assumed[1].take()];
    assert.equal(await slotFree(), false, "2 assumed: no third call");
    await assumed[0].learn({ limit: 5 });
    const [row] =
      await a`select per_window from public.provider_limits where provider = ${provider}`;
    assert.equal(row.per_window, 5);
    // The other sender, which never saw the answer, counts against 5 too.
    const more = [await assumed[1].take(), await assumed[1].take()];
    assert.equal(await slotFree(), true, "the fifth call of the window");
    assert.equal(await slotFree(), false, "no sixth");
    for (const done of [...held, ...more]) await done();
    await assumed[1].learn({ limit: 2 });
    const [lowered] =
      await b`select per_window from public.provider_limits where provider = ${provider}`;
    assert.equal(lowered.per_window, 2, "a lowered limit is learned as well");
    await assert.rejects(
      a`select public.learn_provider_limit(${provider}, 0)`,
      /Cannot learn the limit of provider "test-.*": 0 is not a number of requests per window/,
    );
  } finally {
    await a`delete from public.provider_limits where provider = ${provider}`;
    await Promise.all([a.end(), b.end()]);
  }
});
