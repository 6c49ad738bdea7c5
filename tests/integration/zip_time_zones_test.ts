/**
 * A lead's time zone is its county's: every ZIP below, taken from both sides of the zone lines
 * that split a state, is placed by the database (time_zones_for_address, zip_time_zones) in
 * the zone its county keeps by law. The expected zones come from the counties, not from the
 * dataset the table was built from: 49 CFR Part 71 (§71.5 Eastern, §71.6 Central, §71.7
 * Mountain, §71.8 Pacific, §71.9 Alaska, §71.10 Hawaii-Aleutian) and its amendments (Wayne
 * County, KY to Eastern in 2000; Oliver, Morton and Mercer, ND to Central in 1992, 2003 and
 * 2010; Starke and Pulaski, IN and the southwest counties' moves of 2006–07), and Arizona's and
 * the Navajo Nation's own rules (Arizona keeps standard time all year; the Navajo Nation keeps
 * daylight time; the Hopi Reservation inside it does not).
 *
 * A zone is checked by what a clock there reads: its UTC offset in January and in July.
 */
import assert from "node:assert/strict";
import { connect, requireStack } from "../support/stack.ts";
import { insertLead } from "../support/fixtures.ts";
import { from, submission, submit } from "../support/forms.ts";
import { loadBusinessSettings, loadLeads } from "../../shared/leads/lead_store.ts";
import { smsEligibility } from "../../shared/compliance/sms_eligibility.ts";

await requireStack();

/** Minutes from UTC in mid-January and mid-July. */
type Clock = readonly [january: number, july: number];
const EASTERN: Clock = [-300, -240];
const CENTRAL: Clock = [-360, -300];
const MOUNTAIN: Clock = [-420, -360];
/** Mountain standard time all year. */
const ARIZONA: Clock = [-420, -420];
const PACIFIC: Clock = [-480, -420];
const ALASKA: Clock = [-540, -480];
const HAWAII_ALEUTIAN: Clock = [-600, -540];

/** [ZIP, place, county, state, the county's legal zone] */
const COUNTY_ZONES: [string, string, string, string, Clock][] = [
  ["42101", "Bowling Green", "Warren", "KY", CENTRAL],
  ["42001", "Paducah", "McCracken", "KY", CENTRAL],
  ["42301", "Owensboro", "Daviess", "KY", CENTRAL],
  ["42240", "Hopkinsville", "Christian", "KY", CENTRAL],
  ["42754", "Leitchfield", "Grayson", "KY", CENTRAL],
  ["42728", "Columbia", "Adair", "KY", CENTRAL],
  ["42717", "Burkesville", "Cumberland", "KY", CENTRAL],
  ["42602", "Albany", "Clinton", "KY", CENTRAL],
  ["40202", "Louisville", "Jefferson", "KY", EASTERN],
  ["40507", "Lexington", "Fayette", "KY", EASTERN],
  ["42501", "Somerset", "Pulaski", "KY", EASTERN],
  ["42701", "Elizabethtown", "Hardin", "KY", EASTERN],
  ["40108", "Brandenburg", "Meade", "KY", EASTERN],
  ["42633", "Monticello", "Wayne", "KY", EASTERN],
  ["42642", "Russell Springs", "Russell", "KY", CENTRAL],
  ["37902", "Knoxville", "Knox", "TN", EASTERN],
  ["37402", "Chattanooga", "Hamilton", "TN", EASTERN],
  ["37660", "Kingsport", "Sullivan", "TN", EASTERN],
  ["37830", "Oak Ridge", "Anderson", "TN", EASTERN],
  ["37321", "Dayton", "Rhea", "TN", EASTERN],
  ["37841", "Oneida", "Scott", "TN", EASTERN],
  ["37203", "Nashville", "Davidson", "TN", CENTRAL],
  ["38103", "Memphis", "Shelby", "TN", CENTRAL],
  ["38555", "Crossville", "Cumberland", "TN", CENTRAL],
  ["37347", "Jasper", "Marion", "TN", CENTRAL],
  ["37367", "Pikeville", "Bledsoe", "TN", CENTRAL],
  ["38556", "Jamestown", "Fentress", "TN", CENTRAL],
  ["46402", "Gary", "Lake", "IN", CENTRAL],
  ["46320", "Hammond", "Lake", "IN", CENTRAL],
  ["46383", "Valparaiso", "Porter", "IN", CENTRAL],
  ["46350", "La Porte", "LaPorte", "IN", CENTRAL],
  ["47708", "Evansville", "Vanderburgh", "IN", CENTRAL],
  ["47620", "Mount Vernon", "Posey", "IN", CENTRAL],
  ["47601", "Boonville", "Warrick", "IN", CENTRAL],
  ["47635", "Rockport", "Spencer", "IN", CENTRAL],
  ["47586", "Tell City", "Perry", "IN", CENTRAL],
  ["47670", "Princeton", "Gibson", "IN", CENTRAL],
  ["46534", "Knox", "Starke", "IN", CENTRAL],
  ["47978", "Rensselaer", "Jasper", "IN", CENTRAL],
  ["47951", "Kentland", "Newton", "IN", CENTRAL],
  ["46204", "Indianapolis", "Marion", "IN", EASTERN],
  ["46802", "Fort Wayne", "Allen", "IN", EASTERN],
  ["46601", "South Bend", "St. Joseph", "IN", EASTERN],
  ["47130", "Jeffersonville", "Clark", "IN", EASTERN],
  ["47546", "Jasper", "Dubois", "IN", EASTERN],
  ["47591", "Vincennes", "Knox", "IN", EASTERN],
  ["46996", "Winamac", "Pulaski", "IN", EASTERN],
  ["47501", "Washington", "Daviess", "IN", EASTERN],
  ["47567", "Petersburg", "Pike", "IN", EASTERN],
  ["47150", "New Albany", "Floyd", "IN", EASTERN],
  ["49938", "Ironwood", "Gogebic", "MI", CENTRAL],
  ["49935", "Iron River", "Iron", "MI", CENTRAL],
  ["49801", "Iron Mountain", "Dickinson", "MI", CENTRAL],
  ["49858", "Menominee", "Menominee", "MI", CENTRAL],
  ["49855", "Marquette", "Marquette", "MI", EASTERN],
  ["49931", "Houghton", "Houghton", "MI", EASTERN],
  ["49829", "Escanaba", "Delta", "MI", EASTERN],
  ["48226", "Detroit", "Wayne", "MI", EASTERN],
  ["32501", "Pensacola", "Escambia", "FL", CENTRAL],
  ["32548", "Fort Walton Beach", "Okaloosa", "FL", CENTRAL],
  ["32401", "Panama City", "Bay", "FL", CENTRAL],
  ["32435", "Defuniak Springs", "Walton", "FL", CENTRAL],
  ["32446", "Marianna", "Jackson", "FL", CENTRAL],
  ["32424", "Blountstown", "Calhoun", "FL", CENTRAL],
  ["32301", "Tallahassee", "Leon", "FL", EASTERN],
  ["32320", "Apalachicola", "Franklin", "FL", EASTERN],
  ["32351", "Quincy", "Gadsden", "FL", EASTERN],
  ["32321", "Bristol", "Liberty", "FL", EASTERN],
  ["33130", "Miami", "Miami-Dade", "FL", EASTERN],
  ["58601", "Dickinson", "Stark", "ND", MOUNTAIN],
  ["58623", "Bowman", "Bowman", "ND", MOUNTAIN],
  ["58621", "Beach", "Golden Valley", "ND", MOUNTAIN],
  ["58645", "Medora", "Billings", "ND", MOUNTAIN],
  ["58646", "Mott", "Hettinger", "ND", MOUNTAIN],
  ["58639", "Hettinger", "Adams", "ND", MOUNTAIN],
  ["58529", "Carson", "Grant", "ND", MOUNTAIN],
  ["58501", "Bismarck", "Burleigh", "ND", CENTRAL],
  ["58102", "Fargo", "Cass", "ND", CENTRAL],
  ["58701", "Minot", "Ward", "ND", CENTRAL],
  ["58801", "Williston", "Williams", "ND", CENTRAL],
  ["58554", "Mandan", "Morton", "ND", CENTRAL],
  ["58523", "Beulah", "Mercer", "ND", CENTRAL],
  ["58530", "Center", "Oliver", "ND", CENTRAL],
  ["57701", "Rapid City", "Pennington", "SD", MOUNTAIN],
  ["57783", "Spearfish", "Lawrence", "SD", MOUNTAIN],
  ["57785", "Sturgis", "Meade", "SD", MOUNTAIN],
  ["57747", "Hot Springs", "Fall River", "SD", MOUNTAIN],
  ["57717", "Belle Fourche", "Butte", "SD", MOUNTAIN],
  ["57730", "Custer", "Custer", "SD", MOUNTAIN],
  ["57104", "Sioux Falls", "Minnehaha", "SD", CENTRAL],
  ["57501", "Pierre", "Hughes", "SD", CENTRAL],
  ["57401", "Aberdeen", "Brown", "SD", CENTRAL],
  ["57006", "Brookings", "Brookings", "SD", CENTRAL],
  ["69361", "Scottsbluff", "Scotts Bluff", "NE", MOUNTAIN],
  ["69162", "Sidney", "Cheyenne", "NE", MOUNTAIN],
  ["69337", "Chadron", "Dawes", "NE", MOUNTAIN],
  ["69153", "Ogallala", "Keith", "NE", MOUNTAIN],
  ["69301", "Alliance", "Box Butte", "NE", MOUNTAIN],
  ["69360", "Rushville", "Sheridan", "NE", MOUNTAIN],
  ["69140", "Grant", "Perkins", "NE", MOUNTAIN],
  ["69033", "Imperial", "Chase", "NE", MOUNTAIN],
  ["68102", "Omaha", "Douglas", "NE", CENTRAL],
  ["68508", "Lincoln", "Lancaster", "NE", CENTRAL],
  ["69101", "North Platte", "Lincoln", "NE", CENTRAL],
  ["68801", "Grand Island", "Hall", "NE", CENTRAL],
  ["69201", "Valentine", "Cherry", "NE", CENTRAL],
  ["67735", "Goodland", "Sherman", "KS", MOUNTAIN],
  ["67758", "Sharon Springs", "Wallace", "KS", MOUNTAIN],
  ["67879", "Tribune", "Greeley", "KS", MOUNTAIN],
  ["67878", "Syracuse", "Hamilton", "KS", MOUNTAIN],
  ["67202", "Wichita", "Sedgwick", "KS", CENTRAL],
  ["66603", "Topeka", "Shawnee", "KS", CENTRAL],
  ["67846", "Garden City", "Finney", "KS", CENTRAL],
  ["67701", "Colby", "Thomas", "KS", CENTRAL],
  ["79901", "El Paso", "El Paso", "TX", MOUNTAIN],
  ["79851", "Sierra Blanca", "Hudspeth", "TX", MOUNTAIN],
  ["77002", "Houston", "Harris", "TX", CENTRAL],
  ["75201", "Dallas", "Dallas", "TX", CENTRAL],
  ["79401", "Lubbock", "Lubbock", "TX", CENTRAL],
  ["79701", "Midland", "Midland", "TX", CENTRAL],
  ["79735", "Fort Stockton", "Pecos", "TX", CENTRAL],
  ["83814", "Coeur d'Alene", "Kootenai", "ID", PACIFIC],
  ["83843", "Moscow", "Latah", "ID", PACIFIC],
  ["83501", "Lewiston", "Nez Perce", "ID", PACIFIC],
  ["83864", "Sandpoint", "Bonner", "ID", PACIFIC],
  ["83873", "Wallace", "Shoshone", "ID", PACIFIC],
  ["83702", "Boise", "Ada", "ID", MOUNTAIN],
  ["83402", "Idaho Falls", "Bonneville", "ID", MOUNTAIN],
  ["83301", "Twin Falls", "Twin Falls", "ID", MOUNTAIN],
  ["83201", "Pocatello", "Bannock", "ID", MOUNTAIN],
  ["83638", "McCall", "Valley", "ID", MOUNTAIN],
  ["97914", "Ontario", "Malheur", "OR", MOUNTAIN],
  ["97913", "Nyssa", "Malheur", "OR", MOUNTAIN],
  ["97918", "Vale", "Malheur", "OR", MOUNTAIN],
  ["97910", "Jordan Valley", "Malheur", "OR", MOUNTAIN],
  ["97204", "Portland", "Multnomah", "OR", PACIFIC],
  ["97720", "Burns", "Harney", "OR", PACIFIC],
  ["97814", "Baker City", "Baker", "OR", PACIFIC],
  ["97401", "Eugene", "Lane", "OR", PACIFIC],
  ["89883", "West Wendover", "Elko", "NV", MOUNTAIN],
  ["89101", "Las Vegas", "Clark", "NV", PACIFIC],
  ["89501", "Reno", "Washoe", "NV", PACIFIC],
  ["89801", "Elko", "Elko", "NV", PACIFIC],
  ["99801", "Juneau", "Juneau City and Borough", "AK", ALASKA],
  ["99501", "Anchorage", "Anchorage Municipality", "AK", ALASKA],
  ["99546", "Adak", "Aleutians West (CA)", "AK", HAWAII_ALEUTIAN],
  ["99762", "Nome", "Nome (CA)", "AK", ALASKA],
  ["99835", "Sitka", "Sitka City and Borough", "AK", ALASKA],
  ["86515", "Window Rock", "Apache", "AZ", MOUNTAIN],
  ["86033", "Kayenta", "Navajo", "AZ", MOUNTAIN],
  ["86503", "Chinle", "Apache", "AZ", MOUNTAIN],
  ["86045", "Tuba City", "Coconino", "AZ", MOUNTAIN],
  ["86043", "Second Mesa", "Navajo", "AZ", ARIZONA],
  ["85004", "Phoenix", "Maricopa", "AZ", ARIZONA],
  ["86001", "Flagstaff", "Coconino", "AZ", ARIZONA],
];

function clockOf(timeZone: string): Clock {
  const offset = (iso: string) => {
    const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
      .formatToParts(new Date(iso)).find((p) => p.type === "timeZoneName")!.value;
    const m = /GMT(?:([+-])(\d\d):(\d\d))?/.exec(name)!;
    return m[1] ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  };
  return [offset("2027-01-15T12:00:00Z"), offset("2027-07-15T12:00:00Z")];
}

Deno.test("every ZIP of the table is placed in its county's legal zone, on both sides of each zone line", async () => {
  const sql = connect();
  try {
    const rows = await sql<{ zip: string; time_zone: string; also_time_zones: string[] }[]>`
      select t.zip, z.time_zone, z.also_time_zones
      from jsonb_array_elements_text(${sql.json(COUNTY_ZONES.map(([zip]) => zip))}) t(zip)
      cross join lateral public.time_zones_for_address(t.zip, null) z`;
    const byZip = new Map(rows.map((r) => [r.zip, r]));
    const wrong = COUNTY_ZONES.flatMap(([zip, place, county, state, clock]) => {
      const found = byZip.get(zip)!;
      return clockOf(found.time_zone).join() === clock.join() && found.also_time_zones.length === 0
        ? []
        : [`${zip} ${place} (${county} County, ${state}): ${found.time_zone}`];
    });
    assert.equal(COUNTY_ZONES.length >= 60, true);
    assert.deepEqual(wrong, [], `${wrong.length} of ${COUNTY_ZONES.length} ZIPs in another zone`);
  } finally {
    await sql.end();
  }
});

Deno.test("a ZIP the table does not know takes its state's zone, and every zone of a split state", async (t) => {
  const sql = connect();
  const zones = async (zip: string | null, state: string | null) => {
    const [z] = await sql<{ time_zone: string; also_time_zones: string[] }[]>`
      select * from public.time_zones_for_address(${zip}, ${state})`;
    return { clock: clockOf(z.time_zone), also: z.also_time_zones.map(clockOf) };
  };
  try {
    await t.step("a ZIP+4 and spaces are read by the first five digits", async () => {
      assert.deepEqual(await zones(" 42101-1234 ", "KY"), { clock: CENTRAL, also: [] });
      assert.deepEqual(await zones("421011234", "KY"), { clock: CENTRAL, also: [] });
    });
    await t.step("a state in one zone: its zone alone", async () => {
      assert.deepEqual(await zones(null, "CO"), { clock: MOUNTAIN, also: [] });
      assert.deepEqual(await zones("not a zip", " wa "), { clock: PACIFIC, also: [] });
    });
    await t.step("Puerto Rico, which the ZIP dataset files apart, by its state", async () => {
      const [z] = await sql`select * from public.time_zones_for_address('00901', 'PR')`;
      assert.equal(z.time_zone, "America/Puerto_Rico");
    });
    await t.step("Kentucky without a known ZIP: Eastern, and Central as well", async () => {
      const kentucky = await zones(null, "KY");
      assert.deepEqual(kentucky.clock, EASTERN);
      assert.ok(kentucky.also.some((c) => c.join() === CENTRAL.join()), String(kentucky.also));
    });
    await t.step("Texas without a ZIP: Central, and Mountain as well", async () => {
      const texas = await zones(null, "TX");
      assert.deepEqual(texas.clock, CENTRAL);
      assert.ok(texas.also.some((c) => c.join() === MOUNTAIN.join()));
    });
    await t.step(
      "Arizona without a ZIP: Arizona's, and the Navajo Nation's daylight time",
      async () => {
        const arizona = await zones(null, "AZ");
        assert.deepEqual(arizona.clock, ARIZONA);
        assert.ok(arizona.also.some((c) => c.join() === MOUNTAIN.join()));
      },
    );
    await t.step("neither ZIP nor state: the shop's zone", async () => {
      const [shop] = await sql`select time_zone from public.business_settings`;
      const [z] = await sql`select * from public.time_zones_for_address(null, null)`;
      assert.deepEqual([z.time_zone, z.also_time_zones], [shop.time_zone, []]);
    });
  } finally {
    await sql.end();
  }
});

Deno.test("leads.time_zone is set on every lead saved, by a form or directly, follows a corrected ZIP, and takes only a zone the database knows", async () => {
  const sql = connect();
  try {
    const direct = await insertLead(sql, { zip: "42101", state: "KY", city: "Bowling Green" });
    const { result } = await submit(
      sql,
      submission({ zip: "79901", state: "TX", city: "El Paso" }),
      from(`2001:db8:7a::${crypto.randomUUID().slice(0, 4)}`),
    );
    const [formLead] = await sql`select id from public.leads
      where reference_number = ${String(result.reference_number)}`;
    const zoneOf = async (id: string) => {
      const [l] = await sql`select time_zone, also_time_zones from public.leads where id = ${id}`;
      return [clockOf(l.time_zone), l.also_time_zones];
    };
    assert.deepEqual(await zoneOf(direct.id), [CENTRAL, []]);
    assert.deepEqual(await zoneOf(formLead.id), [MOUNTAIN, []]);

    await sql`update public.leads set zip = null where id = ${direct.id}`;
    const [stateOnly] = await zoneOf(direct.id);
    assert.deepEqual(stateOnly, EASTERN, "Kentucky's main zone once the ZIP is gone");
    await sql`update public.leads set zip = '40202' where id = ${direct.id}`;
    assert.deepEqual(await zoneOf(direct.id), [EASTERN, []]);

    // An admin's correction stands until the address changes; a zone nobody knows is refused.
    await sql`update public.leads set time_zone = 'America/Chicago' where id = ${direct.id}`;
    assert.deepEqual(await zoneOf(direct.id), [CENTRAL, []]);
    await assert.rejects(
      sql`update public.leads set time_zone = 'America/Denvr' where id = ${direct.id}`,
      /time zone "America\/Denvr" not recognized/,
    );
    assert.deepEqual(await zoneOf(direct.id), [CENTRAL, []]);

    const [timeline] = await sql`select time_zone, details ->> 'time_zone' as detail
      from public.lead_timeline where lead_id = ${formLead.id} and entry = 'lead'`;
    assert.equal(clockOf(timeline.time_zone).join(), MOUNTAIN.join());
    assert.equal(timeline.detail, timeline.time_zone);
  } finally {
    await sql.end();
  }
});

Deno.test("a lead from a Central-time Kentucky ZIP saved at 7:30 am Central in January is texted at 8:00 Central, not at 8:00 Eastern's 7:00", async () => {
  const sql = connect();
  try {
    // Leitchfield, Grayson County: Central, though most of Kentucky is Eastern.
    const saved = await insertLead(sql, {
      zip: "42754",
      state: "KY",
      city: "Leitchfield",
      phone_e164: `+1270259${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`,
    });
    const lead = (await loadLeads(sql, [saved.id])).get(saved.id)!;
    const settings = await loadBusinessSettings(sql);
    const decision = smsEligibility({
      phone: lead.phone_e164,
      consent: "opted_in",
      unreachable: false,
      sentLast24h: 0,
      spend: null,
      lead,
      settings: { ...settings, sms_window_start_hour: 8, sms_window_end_hour: 21 },
      now: new Date("2027-01-14T12:30:00Z"), // 7:30 am CST, 6:30 am MST at the shop
    });
    assert.deepEqual(decision, {
      action: "defer",
      reason: "quiet_hours",
      until: new Date("2027-01-14T14:00:00Z"), // 8:00 am CST
    });
  } finally {
    await sql.end();
  }
});
