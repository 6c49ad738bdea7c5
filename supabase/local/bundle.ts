/**
 * The deploy-bundle size check: builds each function of supabase/config.toml as close to
 * `supabase functions deploy` as this machine allows (no Docker, no edge-runtime binary),
 * prints its size, and exits 1 when any is over the documented 20 MB.
 *
 *   deno task bundle
 *
 * What deploy does: `edge-runtime bundle --entrypoint E --import-map deno.json --decorator tc39`
 * writes an eszip of the entrypoint's module graph (local modules transpiled) plus, as opaque
 * entries, every file of every resolved npm package's folder in the npm cache (its VFS,
 * crates/deno_facade/eszip/vfs.rs), the npm snapshot, the import map, the entrypoint's emitted
 * code once more and a few small keys; the CLI uploads "EZBR" + that eszip brotli-compressed at
 * andybalholm/brotli's default quality (6). The 20 MB limit and the CLI's "script size" are
 * that upload.
 *
 * The same here:
 *   - The graph: the runtime's own Deno (2.1.4, EDGE_DENO, its npm cache, the function's
 *     deno.json, no lockfile) resolves it, `deno cache` first as the stack does, then
 *     `deno info --json`; code imports only, as a bundle built without type checking
 *     (bundle/contents.ts). The eszip builder must load exactly those local modules, or the
 *     check stops.
 *   - The npm bytes, which are nearly all of it: every file, dotfiles included, of each package
 *     folder that graph reaches, under <EDGE_DENO_DIR>/npm/registry.npmjs.org/<name>/<version>/,
 *     in package-id order, each framed with its node_modules/localhost/ path.
 *   - The compression: brotli quality 6, window 22, the 4 bytes of "EZBR" counted.
 *
 * What differs, so the figure is an estimate (no edge-runtime here to compare it with):
 *   - Local modules are a real eszip (v2.3) from npm `@deno/eszip` (denoland/eszip's Wasm
 *     build), the deno.json as its import map, but transpiled with eszip's defaults, not the
 *     config's compilerOptions: JSX becomes React.createElement instead of react/jsx-runtime
 *     calls (that eszip would not run, but its size is within bytes per element), and source
 *     maps sit in their own section where the runtime may inline them. They are under 1 MB raw.
 *   - Each npm file is framed by name and lengths, not as an eszip entry under the VFS's
 *     directory tree; the npm snapshot and the second copy of the entrypoint (a few KB) are
 *     left out; packages whose os/cpu fields exclude Linux x64 are kept (none here).
 *   - static_files are not included (config.toml declares none).
 * `--use-api` (server-side bundling) is not modelled: it uploads the local sources only, under
 * a 5 MB limit.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { brotliCompressSync, constants as zlib } from "node:zlib";
import { build as buildEszip } from "@deno/eszip";
import { type FunctionSpec, readFunctionSpecs } from "./functions_host.ts";
import { WORKER_SCRIPT } from "./edge_runtime/supervisor.ts";
import { cacheFunctions, configArgs, EDGE_DENO, EDGE_DENO_DIR } from "./edge_runtime/runtime.ts";
import {
  bundleContents,
  type BundleSize,
  type DenoInfo,
  describeBundle,
  formatMb,
  overLimit,
  SIZE_LIMIT_BYTES,
} from "./bundle/contents.ts";

/** What the runtime's Deno needs to read its own cache (and reach npm through our CA store). */
const EDGE_ENV = { DENO_DIR: EDGE_DENO_DIR, DENO_TLS_CA_STORE: "system", NO_COLOR: "1" };

/** andybalholm/brotli's `NewWriter` default, which the CLI's `function.Compress` uses. */
const CLI_BROTLI_QUALITY = 6;

/** The function's full module graph as the runtime's Deno resolves it. */
async function denoInfo(spec: FunctionSpec): Promise<DenoInfo> {
  const out = await new Deno.Command(EDGE_DENO, {
    // --no-lock: as cacheFunctions; and without it Deno 2.1 writes a deno.lock beside deno.json.
    args: ["info", "--json", "--no-lock", ...configArgs(spec.config), spec.entrypoint],
    env: EDGE_ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(`deno info failed for ${spec.name}:\n${decoder.decode(out.stderr)}`);
  }
  return JSON.parse(decoder.decode(out.stdout));
}

/**
 * The eszip of the function's local modules, and which modules it holds. The builder's graph
 * leaves npm: and node: imports out (it has no npm resolver), so anything else it asks to
 * load would be a remote module the CLI would ship and we would miss: that is an error.
 */
async function localEszip(
  spec: FunctionSpec,
): Promise<{ eszip: Uint8Array; modules: string[] }> {
  const configUrl = spec.config === null ? undefined : pathToFileURL(spec.config).href;
  const loaded: string[] = [];
  const eszip = await buildEszip(
    [pathToFileURL(spec.entrypoint).href],
    async (specifier) => {
      if (!specifier.startsWith("file:")) {
        throw new Error(`${spec.name} imports ${specifier}, which this check cannot bundle`);
      }
      if (specifier !== configUrl) loaded.push(specifier);
      return { kind: "module", specifier, content: await readFile(new URL(specifier)) };
    },
    configUrl,
  );
  return { eszip, modules: loaded };
}

/** Every file under `dir`, in path order (the CLI's VFS takes every file, dotfiles too). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A named entry of the archive: its name and its content, each after its length. */
function frame(name: string, content: Uint8Array): Uint8Array[] {
  const nameBytes = new TextEncoder().encode(name);
  const lengths = (n: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return b;
  };
  return [lengths(nameBytes.length), nameBytes, lengths(content.length), content];
}

/** Builds one function's bundle and measures it. */
async function measure(spec: FunctionSpec): Promise<BundleSize> {
  const contents = bundleContents(await denoInfo(spec));
  const { eszip, modules } = await localEszip(spec);
  const missing = contents.localModules.filter((s) => !modules.includes(s));
  const extra = modules.filter((s) => !contents.localModules.includes(s));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `The eszip builder and the runtime's Deno disagree on ${spec.name}'s local modules:\n` +
        missing.map((s) => `  only in deno info: ${s}\n`).join("") +
        extra.map((s) => `  only in the eszip: ${s}\n`).join(""),
    );
  }

  const chunks: Uint8Array[] = [eszip];
  const npmPackages: Record<string, number> = {};
  for (const { id, name, version } of contents.npmPackages) {
    const folder = join(EDGE_DENO_DIR, "npm", "registry.npmjs.org", name, version);
    let bytes = 0;
    for (const file of await filesUnder(folder)) {
      const content = await readFile(file);
      bytes += content.length;
      // The CLI's VFS flattens every registry into node_modules/localhost/.
      chunks.push(
        ...frame(join("node_modules/localhost", name, version, file.slice(folder.length)), content),
      );
    }
    npmPackages[id] = bytes;
  }

  const raw = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    raw.set(c, offset);
    offset += c.length;
  }
  const compressed = brotliCompressSync(raw, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: CLI_BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  return {
    name: spec.name,
    localModules: modules.length,
    npmPackages,
    rawBytes: raw.length,
    compressedBytes: "EZBR".length + compressed.length,
  };
}

async function main(): Promise<number> {
  const specs = await readFunctionSpecs();
  // As `npm start` does: the bundle must come from the packages the runtime's Deno resolves.
  await cacheFunctions(specs, WORKER_SCRIPT);
  const bundles: BundleSize[] = [];
  for (const spec of specs) {
    const bundle = await measure(spec);
    console.log(describeBundle(bundle));
    bundles.push(bundle);
  }
  const failed = overLimit(bundles);
  for (const b of failed) {
    console.log(
      `FAIL ${b.name}: ${formatMb(b.compressedBytes)} compressed, over the ` +
        `${formatMb(SIZE_LIMIT_BYTES)} limit`,
    );
  }
  if (failed.length === 0) {
    console.log(`ok: every function is under ${formatMb(SIZE_LIMIT_BYTES)} compressed`);
  }
  return failed.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await main());
}
