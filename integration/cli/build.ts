// `mqmesh build`: compiles every filters/<name>/index.ts to build/<name>.wasm
// (release), like `npm run build`, but skips a filter whose .wasm is newer than
// its sources (assembly/ and filters/<name>/) unless --rebuild. `mqmesh up`
// runs it as a child process so the brokers start while it compiles.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { compileUnit, freshModule, projectRoot, type CompileUnit } from "../../scripts/compile.ts";
import { progress } from "../stack/cache.ts";

export function filterUnits(): CompileUnit[] {
  const dir = join(projectRoot, "filters");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => existsSync(join(dir, n, "index.ts")))
    .sort()
    .map((name) => ({ entry: `filters/${name}/index.ts`, out: `build/${name}.wasm`, target: "release" as const }));
}

export async function buildFilters(force: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const unit of filterUnits()) {
    const t = Date.now();
    const file = join(projectRoot, unit.out);
    const before = existsSync(file) ? statSync(file).mtimeMs : 0;
    if (force) await compileUnit(unit);
    else await freshModule(unit);
    const rebuilt = statSync(file).mtimeMs !== before;
    const kib = (statSync(file).size / 1024).toFixed(1);
    progress("build", `${unit.out} ${kib} KiB ${rebuilt ? `compiled in ${((Date.now() - t) / 1000).toFixed(1)} s` : "up to date"}`);
    out.push(file);
  }
  return out;
}
