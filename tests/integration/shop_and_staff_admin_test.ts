/**
 * The dashboard one-liners of a first deploy (migration 20261207001800): set_up_shop,
 * add_staff_member, change_staff_member, retire_staff_member. `supabase db push` loads no seed,
 * so these are how a hosted project gets its shop and roster. Each test works inside a
 * transaction it rolls back: the stack's shop and roster are as they were after it.
 */
import assert from "node:assert/strict";
import type postgres from "postgres";
import { connect, requireStack } from "../support/stack.ts";
import { inRollback } from "../support/rollback.ts";
import { uniquePhone } from "../support/fixtures.ts";

await requireStack();

/** Fails unless `query` (run in a transaction of its own, rolled back) is refused so. */
async function refused(
  sql: postgres.Sql,
  query: (tx: postgres.TransactionSql) => Promise<unknown>,
  message: RegExp,
) {
  await assert.rejects(sql.begin(query), (err: Error) => {
    assert.match(err.message, message);
    return true;
  });
}

/** A staff name no other test uses: the roster is shared, the test's rows are its own. */
function uniqueName(first = "Jordan"): string {
  return `${first} Test${crypto.randomUUID().slice(0, 6)}`;
}

const SHOP = {
  business_name: "Test Glass Co",
  phone: "(303) 555-0142",
  postal_address: "500 Test Ave, Boulder, CO 80302",
  website_url: "https://testglass.example",
  reply_to_email: "service@testglass.example",
};

Deno.test("set_up_shop() sets up a project with no shop, with the documented defaults", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      await tx`delete from public.business_settings`;
      const [{ answer }] = await tx`
        select public.set_up_shop(business_name => ${SHOP.business_name}, phone => ${SHOP.phone},
          postal_address => ${SHOP.postal_address}, website_url => ${SHOP.website_url},
          reply_to_email => ${SHOP.reply_to_email}) as answer`;
      assert.match(answer, /^Set up Test Glass Co: \(303\) 555-0142, 500 Test Ave/);
      assert.match(
        answer,
        /texts customers 08:00 to 20:00 their time, the shop keeps America\/Denver time\.$/,
      );
      const [shop] = await tx`
        select business_name, phone_display, phone_e164, postal_address, website_url,
               reply_to_email, time_zone, sms_window_start_hour, sms_window_end_hour,
               texting_phone_e164
        from public.business_settings`;
      const { phone: _typed, ...stored } = SHOP;
      assert.deepEqual({ ...shop }, {
        ...stored,
        phone_display: "(303) 555-0142",
        phone_e164: "+13035550142",
        time_zone: "America/Denver",
        sms_window_start_hour: 8,
        sms_window_end_hour: 20,
        texting_phone_e164: null,
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("set_up_shop() on a set-up shop changes only what it is given", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const [before] = await tx`select * from public.business_settings`;
      const [{ answer }] = await tx`
        select public.set_up_shop(sms_hours => '9 am-7 pm', time_zone => 'America/Phoenix',
          texting_phone => '+1 (720) 555-0177') as answer`;
      assert.match(answer, /^Updated /);
      assert.match(
        answer,
        /09:00 to 19:00 their time, the shop keeps America\/Phoenix time, texts come from \+17205550177\.$/,
      );
      const [after] = await tx`select * from public.business_settings`;
      assert.equal(after.sms_window_start_hour, 9);
      assert.equal(after.sms_window_end_hour, 19);
      assert.equal(after.time_zone, "America/Phoenix");
      assert.equal(after.texting_phone_e164, "+17205550177");
      for (
        const kept of [
          "business_name",
          "phone_e164",
          "phone_display",
          "postal_address",
          "website_url",
          "reply_to_email",
          "sms_daily_cap",
        ]
      ) {
        assert.equal(after[kept], before[kept], kept);
      }
    });
  } finally {
    await sql.end();
  }
});

Deno.test("set_up_shop() refuses bad input, naming the field and what to write", async (t) => {
  const sql = connect();
  try {
    await t.step("a first setup without its required fields names each missing one", async () => {
      await refused(
        sql,
        async (tx) => {
          await tx`delete from public.business_settings`;
          await tx`select public.set_up_shop(business_name => 'Test Glass Co', phone => '3035550142')`;
        },
        /^The shop is not set up yet, so .* must be given \(missing: postal_address, website_url, reply_to_email\)$/,
      );
    });
    const cases: Array<[string, string, RegExp]> = [
      [
        "an unreadable phone",
        "phone => 'call us'",
        /^The phone "call us" is not a phone number: write it like \(720\) 918-7465/,
      ],
      ["a short phone", "phone => '918-7465'", /^The phone "918-7465" is not a phone number/],
      [
        "an unreadable texting phone",
        "texting_phone => 'twilio'",
        /^The texting_phone "twilio" is not a phone number/,
      ],
      ["an empty name", "business_name => '  '", /^The shop's business_name is empty/],
      [
        "an address with no number",
        "postal_address => 'Downtown Denver'",
        /^The postal_address "Downtown Denver" has no street number or ZIP/,
      ],
      [
        "a website without its scheme",
        "website_url => 'pinkautoglass.com'",
        /^The website_url "pinkautoglass.com" is not a web address: write it like https:\/\//,
      ],
      [
        "a reply-to that is no email",
        "reply_to_email => 'service'",
        /^The reply_to_email "service" is not an email address$/,
      ],
      [
        "a time zone that is no IANA name",
        "time_zone => 'Mountain'",
        /^Unknown time_zone "Mountain": use an IANA name like America\/Denver/,
      ],
      ["unreadable SMS hours", "sms_hours => 'evenings'", /^Cannot read the window "evenings"/],
      [
        "SMS hours backwards",
        "sms_hours => '8 pm-8 am'",
        /^The window "8 pm-8 am" ends \(08:00\) before it starts \(20:00\)$/,
      ],
      [
        "SMS hours off the hour",
        "sms_hours => '8:30 am-8 pm'",
        /^The sms_hours "8:30 am-8 pm" must start and end on the hour/,
      ],
    ];
    for (const [name, args, message] of cases) {
      await t.step(name, async () => {
        await refused(sql, (tx) => tx.unsafe(`select public.set_up_shop(${args})`), message);
      });
    }
    await t.step("the shop is unchanged by the refused calls", async () => {
      const [shop] = await sql`select business_name, time_zone from public.business_settings`;
      assert.notEqual(shop.business_name, "");
      assert.notEqual(shop.time_zone, "Mountain");
    });
  } finally {
    await sql.end();
  }
});

Deno.test("add_staff_member() adds a member on shift who takes leads, and answers with the roster", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const name = uniqueName();
      const phone = uniquePhone();
      const [{ answer }] = await tx`
        select public.add_staff_member(${name}, 'Dispatcher', email => 'jordan@testglass.example',
          phone => ${
        phone.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, "($1) $2-$3")
      }, takes_leads => true,
          shift => 'Mon-Fri 8 am-6 pm, sat 9-14') as answer`;
      assert.match(
        answer,
        new RegExp(
          `^Added ${name} \\(dispatcher, on shift mon 08:00-18:00, tue 08:00-18:00, wed 08:00-18:00, thu 08:00-18:00, fri 08:00-18:00, sat 09:00-14:00 America/Denver\\)\\. Takes leads: .*${name}`,
        ),
      );
      const [member] = await tx`
        select role, email, phone_e164, receives_lead_alerts, on_call, active, working_hours, time_zone
        from public.staff_members where full_name = ${name}`;
      assert.deepEqual({ ...member }, {
        role: "dispatcher",
        email: "jordan@testglass.example",
        phone_e164: phone,
        receives_lead_alerts: true,
        on_call: false,
        active: true,
        time_zone: "America/Denver",
        working_hours: {
          mon: { open: "08:00", close: "18:00" },
          tue: { open: "08:00", close: "18:00" },
          wed: { open: "08:00", close: "18:00" },
          thu: { open: "08:00", close: "18:00" },
          fri: { open: "08:00", close: "18:00" },
          sat: { open: "09:00", close: "14:00" },
        },
      });
    });
  } finally {
    await sql.end();
  }
});

Deno.test("add_staff_member() refuses bad input with what to fix, and adds nobody", async (t) => {
  const sql = connect();
  try {
    const name = uniqueName();
    const cases: Array<[string, string, RegExp]> = [
      ["an empty name", `'  ', 'technician'`, /^The staff member's full_name is empty$/],
      [
        "an unknown role",
        `'${name}', 'boss'`,
        /^Unknown role "boss": choose owner, dispatcher or technician$/,
      ],
      [
        "taking leads without an email",
        `'${name}', 'dispatcher', takes_leads => true`,
        new RegExp(`^${name} cannot take leads without an email`),
      ],
      [
        "on call without a phone",
        `'${name}', 'owner', on_call => true`,
        new RegExp(`^${name} cannot be on call without a phone: on-call staff are texted$`),
      ],
      [
        "an unreadable phone",
        `'${name}', 'technician', phone => '555'`,
        /^The phone "555" is not a phone number/,
      ],
      [
        "an unreadable email",
        `'${name}', 'technician', email => 'jordan'`,
        /^The email "jordan" is not an email address$/,
      ],
      [
        "an unreadable shift",
        `'${name}', 'technician', shift => 'weekdays'`,
        /^Cannot read the shift "weekdays": write days and hours like "mon-fri 8 am-6 pm, sat 9 am-2 pm"/,
      ],
      [
        "a shift whose days run backwards",
        `'${name}', 'technician', shift => 'fri-mon 8-17'`,
        /^The shift "fri-mon 8-17" runs its days backwards \(fri to mon\)/,
      ],
      [
        "a shift naming a day twice",
        `'${name}', 'technician', shift => 'mon-fri 8-12, fri 13-17'`,
        /^The shift "mon-fri 8-12, fri 13-17" names fri twice$/,
      ],
      [
        "a shift with unreadable hours",
        `'${name}', 'technician', shift => 'mon 3-1 am'`,
        /^The window "3-1 am" ends \(01:00\) before it starts \(03:00\)$/,
      ],
      [
        "an unknown time zone",
        `'${name}', 'technician', time_zone => 'Denver'`,
        /^Unknown time_zone "Denver"/,
      ],
    ];
    for (const [what, args, message] of cases) {
      await t.step(what, async () => {
        await refused(sql, (tx) => tx.unsafe(`select public.add_staff_member(${args})`), message);
      });
    }
    await t.step("a name already on the roster", async () => {
      await refused(
        sql,
        async (tx) => {
          await tx`select public.add_staff_member(${name}, 'technician')`;
          await tx`select public.add_staff_member(${name.toUpperCase()}, 'technician')`;
        },
        new RegExp(
          `^A staff member named "${name.toUpperCase()}" is already on the roster: change them with change_staff_member`,
        ),
      );
    });
    const [{ n }] =
      await sql`select count(*)::int as n from public.staff_members where full_name = ${name}`;
    assert.equal(n, 0);
  } finally {
    await sql.end();
  }
});

Deno.test("change_staff_member() puts a member on call with a phone and off shift hours, by first name", async () => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const name = uniqueName("Quincy" + crypto.randomUUID().slice(0, 4));
      const first = name.split(" ")[0];
      await tx`select public.add_staff_member(${name}, 'technician', shift => 'mon-fri 8-17')`;
      const phone = uniquePhone();
      const [{ answer }] = await tx`
        select public.change_staff_member(${first.toLowerCase()}, on_call => true, phone => ${phone},
          shift => 'any time', role => 'dispatcher') as answer`;
      assert.match(
        answer,
        new RegExp(`^Changed ${name} \\(dispatcher, any time\\)\\. .*On call: .*${name}`),
      );
      const [member] = await tx`
        select role, phone_e164, on_call, working_hours from public.staff_members where full_name = ${name}`;
      assert.deepEqual({ ...member }, {
        role: "dispatcher",
        phone_e164: phone,
        on_call: true,
        working_hours: null,
      });
      const [{ cleared }] = await tx`
        select public.change_staff_member(${name}, on_call => false, phone => '') as cleared`;
      assert.match(cleared, /\(dispatcher, any time, no phone\)/);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("change_staff_member() refuses an unknown or ambiguous name, and bad fields", async (t) => {
  const sql = connect();
  try {
    await t.step("an unknown name lists the active staff", async () => {
      await refused(
        sql,
        (tx) => tx`select public.change_staff_member('Nobody Atall', on_call => true)`,
        /^No active staff member is named "Nobody Atall": choose one of .+/,
      );
    });
    await t.step("a first name two members share asks for the full name", async () => {
      const first = "Zed" + crypto.randomUUID().slice(0, 6);
      await refused(sql, async (tx) => {
        await tx`select public.add_staff_member(${first + " One"}, 'technician')`;
        await tx`select public.add_staff_member(${first + " Two"}, 'technician')`;
        await tx`select public.change_staff_member(${first}, role => 'owner')`;
      }, new RegExp(`^2 staff members are named "${first}": give the full name$`));
    });
    await t.step("taking leads with the email cleared", async () => {
      const name = uniqueName();
      await refused(sql, async (tx) => {
        await tx`select public.add_staff_member(${name}, 'dispatcher', email => 'a@testglass.example', takes_leads => true)`;
        await tx`select public.change_staff_member(${name}, email => '')`;
      }, new RegExp(`^${name} cannot take leads without an email`));
    });
  } finally {
    await sql.end();
  }
});

Deno.test("retire_staff_member() takes a member off leads, alerts and on call, keeping the row", async (t) => {
  const sql = connect();
  try {
    await inRollback(sql, async (tx) => {
      const name = uniqueName();
      await tx`select public.add_staff_member(${name}, 'owner', email => 'r@testglass.example',
        phone => ${uniquePhone()}, takes_leads => true, on_call => true)`;
      const [{ answer }] = await tx`select public.retire_staff_member(${name}) as answer`;
      assert.match(answer, new RegExp(`^Retired ${name}: no more leads, alerts or appointments`));
      assert.doesNotMatch(answer.split(": no more")[1], new RegExp(name));
      const [member] = await tx`
        select active, receives_lead_alerts, on_call from public.staff_members where full_name = ${name}`;
      assert.deepEqual({ ...member }, {
        active: false,
        receives_lead_alerts: false,
        on_call: false,
      });
    });
    await t.step("retiring someone twice says they are not active", async () => {
      const name = uniqueName();
      await refused(sql, async (tx) => {
        await tx`select public.add_staff_member(${name}, 'technician')`;
        await tx`select public.retire_staff_member(${name})`;
        await tx`select public.retire_staff_member(${name})`;
      }, new RegExp(`^No active staff member is named "${name}"`));
    });
  } finally {
    await sql.end();
  }
});

Deno.test("only admins run the shop and staff one-liners: not anon, authenticated or the functions' role", async () => {
  const sql = connect();
  try {
    const rows = await sql`
      select p.oid::regprocedure::text as fn, r.role,
             has_function_privilege(r.role, p.oid, 'execute') as can
      from pg_proc p
      cross join (values ('anon'), ('authenticated'), ('service_role')) as r (role)
      where p.pronamespace = 'public'::regnamespace
        and p.proname in ('set_up_shop', 'add_staff_member', 'change_staff_member',
                          'retire_staff_member', 'parse_shift', 'staff_member_named', 'admin_phone',
                          'roster_summary')`;
    assert.equal(rows.length, 8 * 3);
    assert.deepEqual(rows.filter((r) => r.can).map((r) => `${r.role}: ${r.fn}`), []);
  } finally {
    await sql.end();
  }
});
