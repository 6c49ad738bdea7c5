/**
 * A data file inside an npm package as Deno's npm cache holds it, for the generators that read
 * a package's data rather than its code (generate_nanp_time_zones.ts,
 * generate_zip_time_zones.ts). The caller imports the package first, so it is in the cache.
 */
import { join } from "node:path";

export function npmPackageFile(name: string, version: string, ...path: string[]): string {
  const info = new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).outputSync();
  const npmCache: string = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache;
  return join(npmCache, "registry.npmjs.org", name, version, ...path);
}
