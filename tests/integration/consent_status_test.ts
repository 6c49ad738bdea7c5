/**
 * The consent rule as the database applies it (sms_consent_status over the ledger): the
 * latest word wins, except that an opt-out stands until the phone itself says START.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { newLead } from "../support/fixtures.ts";
import { inRollback } from "../support/rollback.ts";

await requireStack();

type Event = [
  event: "opt_in" | "opt_out",
  source: "web_form" | "sms_keyword" | "staff" | "provider",
];

const cases: Array<[string, Event[], boolean, string]> = [
  ["a form's ticked box", [["opt_in", "web_form"]], true, "opt_in"],
  ["STOP", [["opt_in", "web_form"], ["opt_out", "sms_keyword"]], false, "opt_out"],
  [
    "STOP, then a form with the box ticked",
    [["opt_in", "web_form"], ["opt_out", "sms_keyword"], ["opt_in", "web_form"]],
    false,
    "opt_out",
  ],
  [
    "STOP, then an opt-in recorded by hand",
    [["opt_out", "sms_keyword"], ["opt_in", "staff"]],
    false,
    "opt_out",
  ],
  [
    "the carrier's 21610, then a form",
    [["opt_in", "web_form"], ["opt_out", "provider"], ["opt_in", "web_form"]],
    false,
    "opt_out",
  ],
  [
    "STOP, then START from the phone",
    [["opt_out", "sms_keyword"], ["opt_in", "sms_keyword"]],
    true,
    "opt_in",
  ],
  [
    "STOP, START, then a form",
    [["opt_out", "sms_keyword"], ["opt_in", "sms_keyword"], ["opt_in", "web_form"]],
    true,
    "opt_in",
  ],
  [
    "STOP, START, STOP again, then a form",
    [
      ["opt_out", "sms_keyword"],
      ["opt_in", "sms_keyword"],
      ["opt_out", "sms_keyword"],
      ["opt_in", "web_form"],
    ],
    false,
    "opt_out",
  ],
  [
    "an opt-out recorded by hand, then a form",
    [["opt_out", "staff"], ["opt_in", "web_form"]],
    false,
    "opt_out",
  ],
];

Deno.test("an opt-out stands until the phone says START: no form, direct insert or hand-made opt-in lifts it", async (t) => {
  const sql = connect();
  try {
    for (const [name, events, mayText, lastEvent] of cases) {
      await t.step(name, async () => {
        const phone = newLead().phone_e164;
        const status = await inRollback(sql, async (tx) => {
          for (const [i, [event, source]] of events.entries()) {
            await tx`insert into public.sms_consent_events (phone_e164, event, source, created_at)
              values (${phone}, ${event}, ${source}, now() + make_interval(secs => ${i}))`;
          }
          const [row] = await tx`select may_text, last_event from public.sms_consent_status
            where phone_e164 = ${phone}`;
          return row;
        });
        assert.deepEqual({ ...status }, { may_text: mayText, last_event: lastEvent });
      });
    }
  } finally {
    await sql.end();
  }
});
