/**
 * What a deploy uploads for each function is the file config.toml names as its `import_map`:
 * functions/deno.json. It must pin every package exactly as the tests and the stack do
 * (import_map.json), and carry the JSX settings the email templates are compiled with.
 */
import assert from "node:assert/strict";
import { readFunctionSpecs } from "../../supabase/local/functions_host.ts";
import { FUNCTION_DB_URL_VARIABLES, type FunctionName } from "../../shared/platform/config.ts";
import { functionRole } from "../../supabase/local/local_env.ts";

const root = new URL("../../", import.meta.url);
const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(new URL(path, root)));

Deno.test("every function is deployed with functions/deno.json", async () => {
  const specs = await readFunctionSpecs();
  assert.ok(specs.length >= 6);
  for (const spec of specs) {
    assert.equal(
      spec.config,
      new URL("functions/deno.json", root).pathname,
      spec.name,
    );
  }
});

Deno.test("functions/deno.json pins each package as import_map.json does, and compiles JSX as the root does", async () => {
  const fn = await readJson("functions/deno.json");
  const tests = (await readJson("import_map.json")).imports;
  for (const [name, target] of Object.entries(fn.imports)) {
    assert.equal(
      tests[name],
      target,
      `${name} differs between functions/deno.json and import_map.json`,
    );
  }
  const rootConfig = await readJson("deno.json");
  assert.equal(fn.compilerOptions.jsx, rootConfig.compilerOptions.jsx);
  assert.equal(
    fn.compilerOptions.jsxImportSource,
    rootConfig.compilerOptions.jsxImportSource,
  );
});

Deno.test("every function config.toml deploys has its own <FUNCTION>_DB_URL and login role", async () => {
  // sendgrid-events came after the roles and connected as postgres until it was given one.
  const deployed = (await readFunctionSpecs()).map((spec) => spec.name).sort();
  assert.deepEqual(Object.keys(FUNCTION_DB_URL_VARIABLES).sort(), deployed);
  for (const [fn, variable] of Object.entries(FUNCTION_DB_URL_VARIABLES)) {
    assert.equal(variable, `${fn.toUpperCase().replaceAll("-", "_")}_DB_URL`, fn);
  }
  const migrations = await Promise.all(
    [...Deno.readDirSync(new URL("supabase/migrations/", root))]
      .map((e) => Deno.readTextFile(new URL(`supabase/migrations/${e.name}`, root))),
  );
  for (const fn of deployed) {
    const { role } = functionRole(fn as FunctionName);
    assert.ok(
      migrations.some((sql) => new RegExp(`\\b${role}\\b`).test(sql)),
      `no migration creates ${role}`,
    );
  }
});
