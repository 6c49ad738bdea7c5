/** The fakes' fault rules: which request takes one. */
import assert from "node:assert/strict";
import { FaultBook, parseFaultRule } from "../../supabase/local/fakes/faults.ts";

Deno.test("a fault scoped to a body substring is taken only by a request that carries it", () => {
  const book = new FaultBook();
  book.add(
    parseFaultRule({ path: "/emails", bodyContains: "jane.1@example.com", times: 1, status: 500 }),
  );
  assert.equal(
    book.take("/emails", '{"to":["other@example.com"]}'),
    undefined,
    "another test's email",
  );
  assert.equal(book.take("/emails/batch", '[{"to":["jane.1@example.com"]}]')?.status, 500);
  assert.equal(book.take("/emails", '{"to":["jane.1@example.com"]}'), undefined, "used up");
});

Deno.test("a fault with no body substring is taken by the next request on its path", () => {
  const book = new FaultBook();
  book.add(parseFaultRule({ path: "/emails", times: 2, status: 503 }));
  assert.equal(book.take("/emails", "anything")?.status, 503);
  assert.equal(book.take("/emails")?.status, 503);
  assert.equal(book.take("/emails"), undefined);
});

Deno.test("withdrawing a fault drops what is left of it and leaves another test's alone", () => {
  const book = new FaultBook();
  book.add(parseFaultRule({ path: "/emails", bodyContains: "mine", times: 3, status: 500 }));
  book.add(parseFaultRule({ path: "/emails", bodyContains: "theirs", times: 1, status: 503 }));
  assert.equal(book.take("/emails", "mine")?.status, 500);
  assert.equal(
    book.withdraw(parseFaultRule({ path: "/emails", bodyContains: "mine", times: 3, status: 500 })),
    1,
  );
  assert.equal(book.take("/emails", "mine"), undefined, "withdrawn");
  assert.equal(book.take("/emails", "theirs")?.status, 503, "another test's fault stays");
});
