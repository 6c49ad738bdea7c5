/**
 * Leases with owners: an outcome is applied only by the claim that holds the row, and every
 * attempt is kept. Each case runs in a transaction that is rolled back, so no drain of the
 * running stack ever sees its rows.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";
import { claim, type OutboxRow, settleOutcomes } from "../../shared/outbox/store.ts";
import { drainOutbox } from "../../shared/outbox/drain.ts";
import type { ChannelSender } from "../../shared/outbox/channel.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

/** Runs `body` in a transaction that is always rolled back. */
async function withTransaction(
  body: (tx: postgres.TransactionSql) => Promise<void>,
) {
  const sql = connect({ max: 1 });
  try {
    await inRollback(sql, body);
  } finally {
    await sql.end();
  }
}

async function pendingRow(tx: postgres.TransactionSql) {
  const key = `lease-test:${crypto.randomUUID()}`;
  await tx`insert into public.notifications_outbox (key, channel, template, recipient)
           values (${key}, 'email', 'customer_confirmation_email', 'jane@example.com')`;
  return key;
}

Deno.test("an outcome from a sender whose lease passed to another is refused, and both attempts are kept", async () => {
  await withTransaction(async (tx) => {
    const key = await pendingRow(tx);
    // A lease that is over at once, so a second sender may take the row in this transaction.
    const [a] = await claim(tx, {
      limit: 1,
      leaseSeconds: -1,
      token: crypto.randomUUID(),
      onlyKeys: [key],
    });
    const [b] = await claim(tx, {
      limit: 1,
      leaseSeconds: 60,
      token: crypto.randomUUID(),
      onlyKeys: [key],
    });
    assert.ok(a && b, "both senders claimed the row");
    assert.notEqual(a.lease_token, b.lease_token);
    assert.equal(b.attempts, 2);

    const late = await settleOutcomes(tx, [
      {
        row: a,
        kind: "sent",
        provider: "Resend",
        providerMessageId: "em_from_a",
      },
    ]);
    assert.equal(
      late.size,
      0,
      "the first sender's late answer changes nothing",
    );
    const [stillB] =
      await tx`select status, lease_token from public.notifications_outbox where key = ${key}`;
    assert.equal(stillB.status, "sending");
    assert.equal(stillB.lease_token, b.lease_token);

    const owned = await settleOutcomes(tx, [
      {
        row: b,
        kind: "sent",
        provider: "Resend",
        providerMessageId: "em_from_b",
      },
    ]);
    assert.deepEqual([...owned], [String(b.id)]);
    const [row] = await tx`select status, provider_message_id, lease_token, sent_at
                           from public.notifications_outbox where key = ${key}`;
    assert.equal(row.status, "sent");
    assert.equal(row.provider_message_id, "em_from_b");
    assert.equal(row.lease_token, null);
    const attempts = await tx`
      select attempt, outcome, lease_lost, provider_message_id from public.notification_attempts
      where outbox_id = ${b.id} order by id`;
    assert.deepEqual(attempts.map((r) => ({ ...r })), [
      {
        attempt: 1,
        outcome: "sent",
        lease_lost: true,
        provider_message_id: "em_from_a",
      },
      {
        attempt: 2,
        outcome: "sent",
        lease_lost: false,
        provider_message_id: "em_from_b",
      },
    ]);
  });
});

Deno.test("settleOutcomes() applies a batch of different outcomes in one statement", async () => {
  await withTransaction(async (tx) => {
    const keys = [
      await pendingRow(tx),
      await pendingRow(tx),
      await pendingRow(tx),
      await pendingRow(tx),
    ];
    const rows = await claim(tx, {
      limit: 4,
      leaseSeconds: 60,
      token: crypto.randomUUID(),
      onlyKeys: keys,
    });
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const until = new Date(Date.now() + 3_600_000);
    const owned = await settleOutcomes(tx, [
      {
        row: byKey.get(keys[0])!,
        kind: "retry",
        error: "HTTP 429",
        delayMs: 5_000,
        countsAsAttempt: false,
      },
      { row: byKey.get(keys[1])!, kind: "dead", reason: "permanent: HTTP 422" },
      { row: byKey.get(keys[2])!, kind: "suppressed", reason: "opted_out" },
      {
        row: byKey.get(keys[3])!,
        kind: "deferred",
        reason: "quiet_hours",
        until,
      },
    ]);
    assert.equal(owned.size, 4);
    const after = new Map(
      (await tx`select key, status, attempts, last_error, status_reason, next_attempt_at > now() as later,
                       next_attempt_at
                from public.notifications_outbox where key = any (${keys})`)
        .map((r) => [r.key, r]),
    );
    assert.deepEqual(
      [
        after.get(keys[0])!.status,
        after.get(keys[0])!.attempts,
        after.get(keys[0])!.last_error,
        after.get(keys[0])!.later,
      ],
      ["retry", 0, "HTTP 429", true],
      "a throttled retry gives its attempt back and waits",
    );
    assert.deepEqual([
      after.get(keys[1])!.status,
      after.get(keys[1])!.last_error,
    ], [
      "dead",
      "permanent: HTTP 422",
    ]);
    assert.deepEqual([
      after.get(keys[2])!.status,
      after.get(keys[2])!.status_reason,
    ], [
      "suppressed",
      "opted_out",
    ]);
    assert.equal(after.get(keys[3])!.status, "deferred");
    assert.equal(
      (after.get(keys[3])!.next_attempt_at as Date).toISOString(),
      until.toISOString(),
    );
  });
});

/**
 * A drain's dependencies that send every claimed row with `sender`, its statements in `tx` (no
 * other drain sees these rows).
 */
function sendingAllWith(tx: postgres.TransactionSql, sender: ChannelSender) {
  return {
    sql: tx as unknown as postgres.Sql,
    prepare: (rows: OutboxRow[]) =>
      Promise.resolve(rows.map((row) => ({ row, action: "send" as const, payload: {} }))),
    senders: { email: sender },
    journal: () => Promise.resolve(),
  };
}

Deno.test("a drain aborted before its worker ends hands back at once what it claimed and never put on the wire", async () => {
  await withTransaction(async (tx) => {
    const keys = [
      await pendingRow(tx),
      await pendingRow(tx),
      await pendingRow(tx),
    ];
    const unloading = new AbortController();
    const blocked = Promise.withResolvers<void>();
    const sender: ChannelSender = {
      channel: "email",
      provider: "test",
      async send(deliveries, ctx) {
        // The first goes on the wire; the rest wait (a rate limit) until the worker is ending.
        await ctx.onTheWire([deliveries[0].row], "call-1");
        unloading.abort();
        await blocked.promise;
        assert.deepEqual(
          await ctx.onTheWire(deliveries.slice(1).map((d) => d.row), "call-2"),
          [],
        );
      },
    };
    const drain = drainOutbox(sendingAllWith(tx, sender), {
      onlyKeys: keys,
      signal: unloading.signal,
    });

    const states = () =>
      tx<
        {
          key: string;
          status: string;
          attempts: number;
          lease_token: string | null;
        }[]
      >`
        select key, status, attempts, lease_token from public.notifications_outbox
        where key = any (${keys}) order by id`;
    // Handed back while the sender still holds them: not when their lease (20 s) ends.
    const back = await waitFor("the unsent rows handed back", async () => {
      const rows = await states();
      return rows.filter((r) => r.status === "pending").length === 2 && rows;
    });
    assert.deepEqual(
      back.map((r) => [r.status, r.attempts, r.lease_token === null]),
      [["sending", 1, false], ["pending", 0, true], ["pending", 0, true]],
    );
    blocked.resolve();
    const stats = await drain;
    assert.equal(stats.released, 2);
    assert.equal(
      (await states())[0].status,
      "sending",
      "the one on the wire keeps its lease",
    );
  });
});

Deno.test("a drain cut short by its worker's end asks for another, even with nothing to hand back", async () => {
  await withTransaction(async (tx) => {
    const keys = [await pendingRow(tx)];
    const unloading = new AbortController();
    const sender: ChannelSender = {
      channel: "email",
      provider: "test",
      async send(deliveries, ctx) {
        // On the wire, its answer still to come (a retry could fall due in seconds): then the
        // worker is told it is ending.
        await ctx.onTheWire([deliveries[0].row], "call-1");
        unloading.abort();
      },
    };
    const stats = await drainOutbox(sendingAllWith(tx, sender), {
      onlyKeys: keys,
      signal: unloading.signal,
      lingerMs: 25_000,
    });
    assert.equal(stats.released, 0);
    assert.equal(stats.more, true);
  });
});
