import assert from "node:assert/strict";
import { customerVehicle, customerWords } from "../../templates/wording.ts";

Deno.test("customerWords() keeps plain names and vehicles and refuses links, addresses and numbers", async (t) => {
  const cases: Array<[string | number | null, "name" | "vehicle", string | null]> = [
    ["Jane", "name", "Jane"],
    ["  Mary   Ann ", "name", "Mary Ann"],
    ["O'Brien", "name", "O'Brien"],
    ["Jean-Luc", "name", "Jean-Luc"],
    ["J. R.", "name", "J. R."],
    ["José", "name", "José"],
    ["Łukasz", "name", "Łukasz"],
    ["Zoë", "name", "Zoë"],
    ["Jane2", "name", null],
    ["Your Chase acct is locked. Verify at chase-secure.example/x today!", "name", null],
    ["chase-secure.example", "name", null],
    ["visit www.example", "name", null],
    ["me@example.com", "name", null],
    ["http://x", "name", null],
    ["Jane 🚗", "name", null],
    ["<script>", "name", null],
    ["A".repeat(41), "name", null],
    ["", "name", null],
    [null, "name", null],
    ["Civic", "vehicle", "Civic"],
    ["F-150", "vehicle", "F-150"],
    ["CX-5", "vehicle", "CX-5"],
    ["3 Series", "vehicle", "3 Series"],
    ["Mercedes-Benz", "vehicle", "Mercedes-Benz"],
    [2019, "vehicle", "2019"],
    ["E350 4Matic", "vehicle", "E350 4Matic"],
    ["call 720 555 0199", "vehicle", null],
    ["720-555-0199", "vehicle", null],
    ["12345", "vehicle", null],
    ["bit.ly/x", "vehicle", null],
    ["Civic!", "vehicle", null],
  ];
  for (const [value, kind, expected] of cases) {
    await t.step(`${kind} ${JSON.stringify(value)}`, () => {
      assert.equal(customerWords(value, kind), expected);
    });
  }
});

Deno.test("customerVehicle() leaves out the parts it refuses", () => {
  assert.equal(
    customerVehicle({ vehicle_year: 2019, vehicle_make: "Honda", vehicle_model: "Civic" }),
    "2019 Honda Civic",
  );
  assert.equal(
    customerVehicle({ vehicle_year: 2019, vehicle_make: "Honda", vehicle_model: "see x.co" }),
    "2019 Honda",
  );
  assert.equal(
    customerVehicle({ vehicle_year: null, vehicle_make: "www.x", vehicle_model: null }),
    null,
  );
});
