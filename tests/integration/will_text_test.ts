/**
 * submit_lead's will_text answers by the sender's own rule: the database's twin of
 * smsReachability (sms_number_textable) agrees with it number by number, and lead_will_text
 * says no wherever planning would suppress the confirmation text.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead, uniquePhone } from "../support/fixtures.ts";
import { smsReachability } from "../../shared/compliance/phone.ts";
import { waitFor } from "../support/wait_for.ts";

await requireStack();

/** Numbers across every North American area code, and some from elsewhere. */
function sampleNumbers(): string[] {
  const numbers: string[] = [];
  for (let npa = 200; npa <= 999; npa++) {
    for (
      const [nxx, line] of [["234", "5678"], ["555", "0123"], ["876", "9999"], ["311", "4567"]]
    ) {
      numbers.push(`+1${npa}${nxx}${line}`);
    }
  }
  // Every exchange of the codes only partly in use.
  for (const npa of [523, 524, 983]) {
    for (let nxx = 200; nxx <= 999; nxx++) numbers.push(`+1${npa}${nxx}4321`);
  }
  return [
    ...numbers,
    "+442071838750",
    "+2348031234567",
    "+18095551234",
    "+19005551234",
    "+18005551234",
    "+16135550123",
    "+1720918746",
    "17209187465",
    "",
  ];
}

Deno.test("sms_number_textable() agrees with smsReachability() on every sampled number", async () => {
  const sql = connect();
  try {
    const numbers = sampleNumbers();
    const rows = await sql<{ phone: string; textable: boolean }[]>`
      select n.phone, public.sms_number_textable(n.phone) as textable
      from jsonb_array_elements_text(${sql.json(numbers)}) as n(phone)`;
    const disagree = rows.filter((r) => r.textable !== smsReachability(r.phone).ok)
      .map((r) => `${r.phone}: sql ${r.textable}, sender ${smsReachability(r.phone).ok}`);
    assert.deepEqual(disagree, [], `${disagree.length} of ${rows.length} disagree`);
    assert.ok(rows.filter((r) => r.textable).length > 1000, "most sampled numbers are textable");
  } finally {
    await sql.end();
  }
});

Deno.test("lead_will_text() says no wherever the sender would suppress the confirmation text", async (t) => {
  const sql = connect();
  const [{ since }] = await sql`select now() as since`;
  const willText = async (lead: { id: string }) => {
    const [{ yes }] = await sql`select public.lead_will_text(${lead.id}) as yes`;
    return yes;
  };
  try {
    await t.step("a US mobile number with the box ticked: yes", async () => {
      assert.equal(await willText(await insertLead(sql)), true);
    });
    const cases: [string, Parameters<typeof insertLead>[1]][] = [
      ["a UK number", { phone_e164: "+442071838750" }],
      ["a Dominican Republic number (+1 809)", { phone_e164: "+18095551234" }],
      ["a premium-rate number (+1 900)", { phone_e164: "+19005551234" }],
      ["a toll-free number (+1 800)", { phone_e164: "+18005551234" }],
      ["the box left unticked", { sms_consent: false }],
    ];
    for (const [name, overrides] of cases) {
      await t.step(`${name}: no`, async () => {
        assert.equal(await willText(await insertLead(sql, overrides)), false);
      });
    }
    await t.step("a phone that said STOP, then a form with the box ticked: no", async () => {
      const phone = uniquePhone();
      await sql`insert into public.sms_consent_events (phone_e164, event, source, detail)
        values (${phone}, 'opt_out', 'sms_keyword', 'STOP')`;
      assert.equal(await willText(await insertLead(sql, { phone_e164: phone })), false);
    });
    await t.step("a phone the carrier reported unreachable: no", async () => {
      const lead = await insertLead(sql);
      await sql`insert into public.sms_unreachable_phones (phone_e164, error_code, reason)
        values (${lead.phone_e164}, 30006, 'landline or unreachable carrier')`;
      assert.equal(await willText(lead), false);
    });
    // The leads made here are planned by the running functions: done before the next test.
    await waitFor("this test's leads to be planned", async () => {
      // global: every lead since the test began (its own among them); a wait, not an assertion.
      const [{ unplanned }] = await sql`select count(*)::int as unplanned from public.leads
        where created_at >= ${since} and notifications_planned_at is null`;
      return unplanned === 0;
    });
  } finally {
    await sql.end();
  }
});
