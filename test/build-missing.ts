// vitest globalSetup of the unit project: compiles each filter whose .wasm
// is missing (a fresh clone), once, before any test file starts. Test files
// compile what they load themselves when it is stale (freshModule), but
// several filter test files wait for the same module in beforeAll hooks with
// their own time limits, which a first compile of every module at once on a
// busy machine can exceed. Stale modules are left to the tests, so running
// one test file never rebuilds what it does not load.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { freshModule, projectRoot } from "../scripts/compile.ts";

export default async function buildMissing(): Promise<void> {
  const filters = readdirSync(join(projectRoot, "filters")).filter((n) => existsSync(join(projectRoot, "filters", n, "index.ts")));
  for (const name of filters.sort()) {
    const out = `build/${name}.wasm`;
    if (existsSync(join(projectRoot, out))) continue;
    const t = Date.now();
    await freshModule({ entry: `filters/${name}/index.ts`, out });
    process.stderr.write(`[mqmesh unit] compiled ${out} in ${((Date.now() - t) / 1000).toFixed(1)} s (it was missing)\n`);
  }
}
