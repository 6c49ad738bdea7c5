import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";

await requireStack();

Deno.test("reference numbers keep every digit past 9,999 and never repeat", async () => {
  const sql = connect();
  try {
    await sql`select setval('public.lead_reference_seq',
      greatest((select last_value from public.lead_reference_seq), 9998))`;
    const [a, b] = [await insertLead(sql), await insertLead(sql)];
    const number = (ref: string) => Number(ref.split("-").at(-1));
    assert.ok(number(a.reference_number) >= 9999);
    assert.equal(number(b.reference_number), number(a.reference_number) + 1);
    assert.match(b.reference_number, /^PAG-\d{6}-\d{5,}$/);
  } finally {
    await sql.end();
  }
});
