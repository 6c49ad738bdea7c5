import assert from "node:assert/strict";
import {
  bundleContents,
  type BundleSize,
  type DenoInfo,
  describeBundle,
  formatMb,
  largestPackages,
  overLimit,
  SIZE_LIMIT_BYTES,
} from "../../supabase/local/bundle/contents.ts";

const ROOT = "file:///p/functions/f/index.ts";
const HELPER = "file:///p/shared/helper.ts";
const TYPES = "file:///p/shared/types.ts";

/**
 * `deno info --json` for a root that imports a helper and, type-only, a types file; the helper
 * imports zod and, type-only, @types/react. Untyped, as deno info's output, which has more.
 */
const MODULES = [
  {
    specifier: ROOT,
    dependencies: [
      { specifier: "../../shared/helper.ts", code: { specifier: HELPER } },
      { specifier: "../../shared/types.ts", type: { specifier: TYPES } },
      { specifier: "node:crypto", code: { specifier: "node:crypto" } },
    ],
  },
  {
    specifier: HELPER,
    dependencies: [
      { specifier: "zod", code: { specifier: "npm:zod@4.6.7" } },
      {
        specifier: "@types/react",
        type: { specifier: "npm:@types/react@19.3.0" },
      },
    ],
  },
  { specifier: TYPES, dependencies: [] },
  { specifier: "node:crypto", kind: "node" },
  { specifier: "npm:/zod@4.6.7", kind: "npm", npmPackage: "zod@4.6.7" },
  {
    specifier: "npm:/@types/react@19.3.0",
    kind: "npm",
    npmPackage: "@types/react@19.3.0",
  },
];

function graph(overrides: Partial<DenoInfo> = {}): DenoInfo {
  return {
    roots: [ROOT],
    modules: MODULES,
    redirects: {
      "npm:zod@4.6.7": "npm:/zod@4.6.7",
      "npm:@types/react@19.3.0": "npm:/@types/react@19.3.0",
    },
    npmPackages: {
      "zod@4.6.7": {
        name: "zod",
        version: "4.6.7",
        dependencies: ["tiny@1.0.0"],
      },
      "tiny@1.0.0": { name: "tiny", version: "1.0.0", dependencies: [] },
      "@types/react@19.3.0": {
        name: "@types/react",
        version: "19.3.0",
        dependencies: [],
      },
    },
    ...overrides,
  };
}

Deno.test("bundleContents() follows code imports only, npm dependencies included", async (t) => {
  const contents = bundleContents(graph());
  await t.step(
    "local modules: the root and its code imports, not type-only ones",
    () => {
      assert.deepEqual(contents.localModules, [ROOT, HELPER]);
    },
  );
  await t.step(
    "npm packages: through redirects, with their dependencies, sorted by id",
    () => {
      assert.deepEqual(contents.npmPackages, [
        { id: "tiny@1.0.0", name: "tiny", version: "1.0.0" },
        { id: "zod@4.6.7", name: "zod", version: "4.6.7" },
      ]);
    },
  );
});

Deno.test("bundleContents() refuses a graph that does not load", async (t) => {
  const cases: [string, DenoInfo, RegExp][] = [
    [
      "a module that failed",
      graph({ modules: [{ specifier: ROOT, error: "Module not found" }] }),
      /does not load: Module not found/,
    ],
    [
      "an import that did not resolve",
      graph({
        modules: [{
          specifier: ROOT,
          dependencies: [{
            specifier: "nope",
            code: { error: 'Import "nope" not a dependency' },
          }],
        }],
      }),
      /imports nope: Import "nope" not a dependency/,
    ],
    [
      "a module deno info does not list",
      graph({ roots: ["file:///p/other.ts"] }),
      /no module/,
    ],
  ];
  for (const [name, info, error] of cases) {
    await t.step(name, () => assert.throws(() => bundleContents(info), error));
  }
});

Deno.test("formatMb() counts decimal megabytes, as the CLI prints them", async (t) => {
  const cases: [number, string][] = [
    [0, "0.00 MB"],
    [1_000_000, "1.00 MB"],
    [1_048_576, "1.05 MB"],
    [SIZE_LIMIT_BYTES, "20.00 MB"],
    [7_254_321, "7.25 MB"],
  ];
  for (const [bytes, text] of cases) {
    await t.step(`${bytes} bytes`, () => assert.equal(formatMb(bytes), text));
  }
});

Deno.test("largestPackages() gives the three largest, largest first, ties by id", async (t) => {
  const cases: [string, Record<string, number>, [string, number][]][] = [
    ["five packages", { a: 1, b: 5, c: 5, d: 3, e: 2 }, [["b", 5], ["c", 5], [
      "d",
      3,
    ]]],
    ["fewer than three", { a: 1, b: 2 }, [["b", 2], ["a", 1]]],
    ["none", {}, []],
  ];
  for (const [name, sizes, largest] of cases) {
    await t.step(name, () => assert.deepEqual(largestPackages(sizes), largest));
  }
});

function bundle(name: string, compressedBytes: number): BundleSize {
  return {
    name,
    localModules: 2,
    npmPackages: { "zod@4.6.7": 6_150_000, "postgres@3.4.9": 300_000 },
    rawBytes: 6_500_000,
    compressedBytes,
  };
}

Deno.test("overLimit() fails a bundle over 20 MB compressed, not one at it", async (t) => {
  const cases: [string, number, boolean][] = [
    ["well under", 1_450_000, false],
    ["exactly 20 MB", SIZE_LIMIT_BYTES, false],
    ["one byte over", SIZE_LIMIT_BYTES + 1, true],
    ["20 MiB, over 20 MB", 20 * 1024 * 1024, true],
  ];
  for (const [name, bytes, fails] of cases) {
    await t.step(
      name,
      () => assert.equal(overLimit([bundle("f", bytes)]).length > 0, fails),
    );
  }
  await t.step("only the bundles over it", () => {
    const bundles = [bundle("a", 1), bundle("b", 25_000_000), bundle("c", 3)];
    assert.deepEqual(overLimit(bundles).map((b) => b.name), ["b"]);
  });
});

Deno.test("describeBundle() prints counts, sizes and the largest packages", async (t) => {
  await t.step("with npm packages", () => {
    assert.equal(
      describeBundle(bundle("health", 1_450_000)),
      "health: 2 local modules, 2 npm packages, raw 6.50 MB, compressed 1.45 MB\n" +
        "  largest npm packages: zod@4.6.7 6.15 MB, postgres@3.4.9 0.30 MB",
    );
  });
  await t.step("without", () => {
    assert.match(
      describeBundle({ ...bundle("bare", 10), npmPackages: {} }),
      /0 npm packages.*\n {2}largest npm packages: none$/,
    );
  });
});
