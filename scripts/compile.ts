// One AssemblyScript compile, shared by the build script and by tests that
// rebuild a stale module before loading it. A compiler warning fails it:
// warnings in AssemblyScript usually mean an implicit conversion that would
// corrupt bytes on the wire.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { shortHash, withLock } from "../integration/stack/cache.ts";

export const projectRoot = fileURLToPath(new URL("..", import.meta.url));

export interface CompileUnit {
  entry: string; // relative to the project root
  out: string; // relative to the project root
  // JS glue (<out>.js) so tests of pure functions can pass strings and arrays
  bindings?: boolean;
  target?: "release" | "debug";
  // Other folders (relative to the project root) whose sources it imports,
  // besides assembly/ and its own folder: freshModule rebuilds on their changes too.
  dependsOn?: string[];
}

/** The files asc writes for one output: the module, and with bindings its JS glue and types. */
const ARTIFACTS = [".wasm", ".js", ".d.ts"];

/**
 * Compiles into temporary files renamed into place, so a test loading the
 * module meanwhile (another vitest worker) reads the old file or the new one,
 * never half of one.
 */
export async function compileUnit(unit: CompileUnit): Promise<void> {
  mkdirSync(join(projectRoot, dirname(unit.out)), { recursive: true });
  const base = unit.out.replace(/\.wasm$/, "");
  const tmp = `${base}.tmp-${process.pid}`;
  let diagnostics = "";
  const sink = { write: (s: string | Uint8Array) => ((diagnostics += String(s)), true) };
  const { error } = await asc.main(
    [
      unit.entry, "--config", "asconfig.json", "--target", unit.target ?? "release", "--outFile", `${tmp}.wasm`,
      "--baseDir", projectRoot, ...(unit.bindings ? ["--bindings", "raw"] : []),
    ],
    { stdout: sink, stderr: sink },
  );
  const failed = error || /WARNING|ERROR/.test(diagnostics);
  for (const ext of ARTIFACTS) {
    const file = join(projectRoot, tmp + ext);
    if (!existsSync(file)) continue;
    if (failed) rmSync(file, { force: true });
    else renameSync(file, join(projectRoot, base + ext));
  }
  if (failed) {
    throw new Error(`build of ${unit.entry} failed${error ? `: ${error.message}` : " (warnings are errors)"}\n${diagnostics}`);
  }
}

function newestIn(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

// Rebuilds unit.out when any AssemblyScript source it may import, or the
// compiler options (asconfig.json), is newer, so `vitest run` alone never
// tests a stale module. Returns the absolute path.
// Test files running in parallel that need the same module compile it once:
// the others wait for the lock (named after this checkout's output path).
export async function freshModule(unit: CompileUnit): Promise<string> {
  const out = join(projectRoot, unit.out);
  const stale = () => {
    const sources = Math.max(
      newestIn(join(projectRoot, "assembly")),
      newestIn(join(projectRoot, dirname(unit.entry))),
      statSync(join(projectRoot, unit.entry)).mtimeMs,
      statSync(join(projectRoot, "asconfig.json")).mtimeMs,
      ...(unit.dependsOn ?? []).map((dir) => newestIn(join(projectRoot, dir))),
    );
    return !existsSync(out) || statSync(out).mtimeMs < sources || (unit.bindings && !existsSync(out.replace(/\.wasm$/, ".js")));
  };
  if (stale()) await withLock(`build-${shortHash(out)}`, async () => (stale() ? compileUnit(unit) : undefined));
  return out;
}
