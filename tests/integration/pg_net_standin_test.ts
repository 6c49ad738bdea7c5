import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

/** A local HTTP server that records what reaches it. */
function recordingServer(
  answer: (req: Request) => Promise<Response> | Response = () => Response.json({ ok: true }),
) {
  const received: Array<{ path: string; headers: Headers; body: string }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push({
      path: new URL(req.url).pathname,
      headers: req.headers,
      body: await req.text(),
    });
    return answer(req);
  });
  return { received, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("a committed net.http_post reaches the server, and its response is recorded", async () => {
  const sql = connect();
  const server = recordingServer();
  try {
    const [{ id }] = await sql`
      select net.http_post(
        url := ${server.url + "/hook"},
        body := '{"hello":"world"}'::jsonb,
        headers := '{"Content-Type":"application/json","x-test":"1"}'::jsonb
      ) as id`;
    const response = await waitFor("the response row", async () => {
      const [row] =
        await sql`select status_code, content, timed_out from net._http_response where id = ${id}`;
      return row;
    });
    assert.equal(server.received.length, 1);
    assert.equal(server.received[0].path, "/hook");
    assert.equal(server.received[0].headers.get("x-test"), "1");
    assert.deepEqual(JSON.parse(server.received[0].body), { hello: "world" });
    assert.equal(response.status_code, 200);
    assert.equal(response.timed_out, false);
    assert.deepEqual(JSON.parse(response.content), { ok: true });
  } finally {
    await server.close();
    await sql.end();
  }
});

Deno.test("a net.http_post in a rolled-back transaction is never sent", async () => {
  const sql = connect();
  const server = recordingServer();
  try {
    await sql.begin(async (tx) => {
      await tx`select net.http_post(url := ${server.url + "/rolled-back"})`;
      throw new Error("roll back");
    }).catch(() => {});
    // A later committed request proves the worker ran past the point where the first would have gone.
    const [{ id }] = await sql`select net.http_post(url := ${server.url + "/committed"}) as id`;
    await waitFor(
      "the committed request",
      async () => (await sql`select 1 from net._http_response where id = ${id}`)[0],
    );
    assert.deepEqual(server.received.map((r) => r.path), ["/committed"]);
  } finally {
    await server.close();
    await sql.end();
  }
});

Deno.test("a request that outlives its timeout is recorded as timed out", async () => {
  const sql = connect();
  const server = recordingServer(async () => {
    await new Promise((r) => setTimeout(r, 1500));
    return new Response("late");
  });
  try {
    const [{ id }] = await sql`select net.http_post(url := ${
      server.url + "/slow"
    }, timeout_milliseconds := 200) as id`;
    const row = await waitFor(
      "the timeout row",
      async () =>
        (await sql`select timed_out, error_msg, status_code from net._http_response where id = ${id}`)[
          0
        ],
    );
    assert.equal(row.timed_out, true);
    assert.equal(row.status_code, null);
    assert.match(row.error_msg, /Timeout of 200 ms/);
  } finally {
    await server.close();
    await sql.end();
  }
});

Deno.test("Vault stand-in: a created secret is readable decrypted by name and can be updated", async () => {
  const sql = connect();
  try {
    const name = `test_secret_${crypto.randomUUID().slice(0, 8)}`;
    const [{ id }] = await sql`select vault.create_secret('s3cret', ${name}) as id`;
    assert.equal(
      (await sql`select decrypted_secret from vault.decrypted_secrets where name = ${name}`)[0]
        .decrypted_secret,
      "s3cret",
    );
    await sql`select vault.update_secret(${id}, 'n3w')`;
    assert.equal(
      (await sql`select decrypted_secret from vault.decrypted_secrets where name = ${name}`)[0]
        .decrypted_secret,
      "n3w",
    );
  } finally {
    await sql.end();
  }
});
