// Compiles every filter in filters/<name>/index.ts to build/<name>.wasm
// (release: optimized and small) and prints each size.
//   --fixtures  also the SDK test fixtures in test/fixtures/*.ts -> build/fixtures/
//   --all       filters and fixtures
//   --debug     unoptimized with names, for reading stack traces
// A compiler warning fails the build: warnings in AssemblyScript usually mean
// an implicit conversion that would corrupt bytes on the wire.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = new Set(process.argv.slice(2));
const withFilters = !args.has("--fixtures") || args.has("--all");
const withFixtures = args.has("--fixtures") || args.has("--all");
const target = args.has("--debug") ? "debug" : "release";

interface Unit {
  entry: string;
  out: string;
  // Fixtures also get JS glue (build/fixtures/<name>.js) so tests of pure
  // codec functions can pass strings and byte arrays without pointer code.
  bindings?: boolean;
}

function filterUnits(): Unit[] {
  const dir = join(root, "filters");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, "index.ts")))
    .sort()
    .map((name) => ({ entry: `filters/${name}/index.ts`, out: `build/${name}.wasm` }));
}

function fixtureUnits(): Unit[] {
  const dir = join(root, "test", "fixtures");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => ({ entry: `test/fixtures/${f}`, out: `build/fixtures/${basename(f, ".ts")}.wasm`, bindings: true }));
}

async function compile(unit: Unit): Promise<void> {
  mkdirSync(join(root, unit.out, ".."), { recursive: true });
  let diagnostics = "";
  const sink = { write: (s: string | Uint8Array) => { diagnostics += String(s); return true; } };
  const { error } = await asc.main(
    [
      unit.entry, "--config", "asconfig.json", "--target", target, "--outFile", unit.out, "--baseDir", root,
      ...(unit.bindings ? ["--bindings", "raw"] : []),
    ],
    { stdout: sink, stderr: sink },
  );
  if (error || /WARNING|ERROR/.test(diagnostics)) {
    process.stderr.write(diagnostics);
    throw new Error(`build of ${unit.entry} failed${error ? `: ${error.message}` : " (warnings are errors)"}`);
  }
  const kib = (statSync(join(root, unit.out)).size / 1024).toFixed(1);
  console.log(`  ${unit.out.padEnd(36)} ${kib.padStart(8)} KiB`);
}

const units = [...(withFilters ? filterUnits() : []), ...(withFixtures ? fixtureUnits() : [])];
console.log(`mqmesh build (${target}): ${units.length} module(s)`);
for (const unit of units) await compile(unit);
