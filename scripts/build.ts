// Compiles every filter in filters/<name>/index.ts to build/<name>.wasm
// (release: optimized and small) and prints each size.
//   --fixtures  also the SDK test fixtures in test/fixtures/*.ts -> build/fixtures/
//   --all       filters and fixtures
//   --debug     unoptimized with names, for reading stack traces
// A compiler warning fails the build: warnings in AssemblyScript usually mean
// an implicit conversion that would corrupt bytes on the wire.
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { compileUnit, projectRoot as root, type CompileUnit } from "./compile.ts";

const args = new Set(process.argv.slice(2));
const withFilters = !args.has("--fixtures") || args.has("--all");
const withFixtures = args.has("--fixtures") || args.has("--all");
const target = args.has("--debug") ? "debug" : "release";

function filterUnits(): CompileUnit[] {
  const dir = join(root, "filters");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "index.ts")))
    .sort()
    .map((name) => ({ entry: `filters/${name}/index.ts`, out: `build/${name}.wasm`, target }));
}

function fixtureUnits(): CompileUnit[] {
  const dir = join(root, "test", "fixtures");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => ({ entry: `test/fixtures/${f}`, out: `build/fixtures/${basename(f, ".ts")}.wasm`, bindings: true, target }));
}

const units = [...(withFilters ? filterUnits() : []), ...(withFixtures ? fixtureUnits() : [])];
console.log(`mqmesh build (${target}): ${units.length} module(s)`);
for (const unit of units) {
  await compileUnit(unit);
  const kib = (statSync(join(root, unit.out)).size / 1024).toFixed(1);
  console.log(`  ${unit.out.padEnd(36)} ${kib.padStart(8)} KiB`);
}
