// One AssemblyScript compile, shared by the build script and by tests that
// rebuild a stale module before loading it. A compiler warning fails it:
// warnings in AssemblyScript usually mean an implicit conversion that would
// corrupt bytes on the wire.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

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

export async function compileUnit(unit: CompileUnit): Promise<void> {
  mkdirSync(join(projectRoot, dirname(unit.out)), { recursive: true });
  let diagnostics = "";
  const sink = { write: (s: string | Uint8Array) => ((diagnostics += String(s)), true) };
  const { error } = await asc.main(
    [
      unit.entry, "--config", "asconfig.json", "--target", unit.target ?? "release", "--outFile", unit.out,
      "--baseDir", projectRoot, ...(unit.bindings ? ["--bindings", "raw"] : []),
    ],
    { stdout: sink, stderr: sink },
  );
  if (error || /WARNING|ERROR/.test(diagnostics)) {
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

// Rebuilds unit.out when any AssemblyScript source it may import is newer, so
// `vitest run` alone never tests a stale module. Returns the absolute path.
export async function freshModule(unit: CompileUnit): Promise<string> {
  const out = join(projectRoot, unit.out);
  const sources = Math.max(
    newestIn(join(projectRoot, "assembly")),
    newestIn(join(projectRoot, dirname(unit.entry))),
    statSync(join(projectRoot, unit.entry)).mtimeMs,
    ...(unit.dependsOn ?? []).map((dir) => newestIn(join(projectRoot, dir))),
  );
  if (!existsSync(out) || statSync(out).mtimeMs < sources) await compileUnit(unit);
  return out;
}
