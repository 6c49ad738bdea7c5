/**
 * The bundle size check's pure half (bundle.ts reads the files and builds): which modules and
 * npm packages a deploy bundle holds, read off `deno info --json`, and the report and verdict.
 * Nothing here touches the disk, so the unit test drives it with made-up graphs and sizes.
 */

/** The part of `deno info --json` the check reads. */
export interface DenoInfo {
  roots: string[];
  modules: {
    specifier: string;
    error?: string;
    /** The package id ("name@version", with any peer suffix) of an npm: module. */
    npmPackage?: string;
    /** An import's `code` is where it resolved to, or why it did not. */
    dependencies?: { specifier: string; code?: { specifier?: string; error?: string } }[];
  }[];
  redirects: Record<string, string>;
  npmPackages: Record<string, { name: string; version: string; dependencies: string[] }>;
}

/** What a function's bundle holds. */
export interface BundleContents {
  /** file: specifiers, sorted. */
  localModules: string[];
  /** npm packages, sorted by id, as the CLI adds their folders. */
  npmPackages: { id: string; name: string; version: string }[];
}

/**
 * The modules a deploy runs: from the root along code imports only. `deno info` builds the
 * full graph, type-only imports (`import type`, `@ts-types` .d.ts files) included; the runtime
 * bundles without type checking, whose graph does not follow them, so neither those files nor
 * the npm packages only they reach (the @types ones) are shipped. npm packages then bring
 * their own dependencies.
 */
export function bundleContents(info: DenoInfo): BundleContents {
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const local = new Set<string>();
  const packages = new Set<string>();
  const visited = new Set<string>();
  const pending = [...info.roots];
  while (pending.length > 0) {
    const requested = pending.pop()!;
    const specifier = info.redirects[requested] ?? requested;
    if (visited.has(specifier)) continue;
    visited.add(specifier);
    const module = modules.get(specifier);
    if (!module) throw new Error(`deno info lists no module ${specifier}`);
    if (module.error) throw new Error(`${specifier} does not load: ${module.error}`);
    if (module.npmPackage) {
      addPackage(info, module.npmPackage, packages);
      continue;
    }
    if (specifier.startsWith("file:")) local.add(specifier);
    for (const dep of module.dependencies ?? []) {
      if (dep.code?.error) {
        throw new Error(`${specifier} imports ${dep.specifier}: ${dep.code.error}`);
      }
      if (dep.code?.specifier) pending.push(dep.code.specifier);
    }
  }
  return {
    localModules: [...local].sort(),
    npmPackages: [...packages].sort().map((id) => {
      const { name, version } = info.npmPackages[id];
      return { id, name, version };
    }),
  };
}

/** Adds a package and, transitively, the packages it was resolved with. */
function addPackage(info: DenoInfo, id: string, packages: Set<string>) {
  if (packages.has(id)) return;
  const pkg = info.npmPackages[id];
  if (!pkg) throw new Error(`deno info lists no npm package ${id}`);
  packages.add(id);
  for (const dep of pkg.dependencies) addPackage(info, dep, packages);
}

/**
 * The documented limit on a deployed function, "20 MB after bundling using CLI": the body the
 * CLI uploads. The CLI prints that size with go-units' HumanSize, which counts 1 MB as
 * 1,000,000 bytes, so the limit and every figure here use decimal megabytes too.
 */
export const SIZE_LIMIT_BYTES = 20_000_000;

/** One function's bundle, measured. */
export interface BundleSize {
  name: string;
  /** Local modules in the eszip (the entrypoint and everything it imports from disk). */
  localModules: number;
  /** Bytes of each npm package folder in the bundle, by package id ("name@version"). */
  npmPackages: Record<string, number>;
  /** The bundle before compression. */
  rawBytes: number;
  /** What the CLI would upload: "EZBR" and the brotli-compressed bundle. */
  compressedBytes: number;
}

/** Bytes in decimal megabytes, two decimals: "12.35 MB". */
export function formatMb(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(2)} MB`;
}

/** The `count` largest packages, largest first; ties by id, so the output is stable. */
export function largestPackages(
  sizes: Record<string, number>,
  count = 3,
): [string, number][] {
  return Object.entries(sizes)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .slice(0, count);
}

/** A function's two report lines: its counts and sizes, then its largest npm packages. */
export function describeBundle(b: BundleSize): string {
  const largest = largestPackages(b.npmPackages)
    .map(([id, bytes]) => `${id} ${formatMb(bytes)}`)
    .join(", ");
  return `${b.name}: ${b.localModules} local modules, ` +
    `${Object.keys(b.npmPackages).length} npm packages, raw ${formatMb(b.rawBytes)}, ` +
    `compressed ${formatMb(b.compressedBytes)}\n` +
    `  largest npm packages: ${largest || "none"}`;
}

/** The bundles whose compressed size is over the limit (a bundle exactly at it passes). */
export function overLimit(bundles: BundleSize[], limit = SIZE_LIMIT_BYTES): BundleSize[] {
  return bundles.filter((b) => b.compressedBytes > limit);
}
