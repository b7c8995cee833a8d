// What a detached `mqmesh up` leaves in the cache so `mqmesh down` (and
// `mqmesh status`) can find it:
//   <cache>/run/<stamp>-up-<pid>/owner.pid       the supervisor (the Node process holding the stack)
//   <cache>/run/<stamp>-up-<pid>/mqmesh-up.json  state: owner pid, status, endpoints, start time
// (a foreground `up` writes the same state into its own run folder, so `status` lists it).
//   <cache>/run/<stamp>-up-<pid>/pids/<name>.<pid>  process groups of Envoy/JVMs (kept by stack/process.ts)
//   <cache>/run/<stamp>-up-<pid>/logs/           mqmesh-up.log (the supervisor) and one log per process
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { cacheDir } from "../stack/cache.ts";
import type { Endpoints } from "./endpoints.ts";

export const STATE_FILE = "mqmesh-up.json";

export interface UpState {
  /** The run folder's name; `mqmesh down <id>` stops just this one. */
  id: string;
  runDir: string;
  /** The Node process that owns the stack and tears it down on SIGTERM/SIGINT (the supervisor when detached). */
  pid: number;
  /** Started by `up --detach` (what `mqmesh down` stops by default). */
  detached: boolean;
  status: "starting" | "up" | "failed" | "stopping" | "stopped";
  startedAt: string;
  readyAt?: string;
  startSeconds?: number;
  error?: string;
  endpoints?: Endpoints;
}

export function stateFile(runDir: string): string {
  return join(runDir, STATE_FILE);
}

/** Written atomically (write + rename), so a reader never sees half a file. */
export function writeState(state: UpState): void {
  const file = stateFile(state.runDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + "\n");
  renameSync(`${file}.tmp`, file);
}

export function readState(runDir: string): UpState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(runDir), "utf8")) as UpState;
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function groupAlive(pgid: number): boolean {
  if (!(pgid > 0)) return false;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The first word of a process's command line ("" when it is gone). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
  } catch {
    return "";
  }
}

/** True when the owner of a run still runs (guards against pid reuse). */
export function ownerAlive(state: UpState): boolean {
  if (!pidAlive(state.pid)) return false;
  try {
    return readFileSync(`/proc/${state.pid}/cmdline`, "utf8").includes("mqmesh");
  } catch {
    return true; // no /proc: trust the pid
  }
}

export interface ManagedPid {
  name: string;
  pid: number;
  /** The command recorded when it was spawned. */
  command: string;
  file: string;
}

/** Process groups recorded by stack/process.ts in a run folder (removed when stopped). */
export function recordedPids(runDir: string): ManagedPid[] {
  const dir = join(runDir, "pids");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const i = f.lastIndexOf(".");
    const pid = Number(f.slice(i + 1));
    if (!pid) return [];
    let command = "";
    try {
      command = readFileSync(join(dir, f), "utf8").trim();
    } catch {
      return [];
    }
    return [{ name: f.slice(0, i), pid, command, file: join(dir, f) }];
  });
}

/** Recorded groups that still run the command they were started with. */
export function livePids(runDir: string): ManagedPid[] {
  return recordedPids(runDir).filter((p) => groupAlive(p.pid) && commandOf(p.pid) === p.command);
}

/** Every run folder of the cache holding a detached `up`'s state, oldest first. */
export function detachedRuns(): UpState[] {
  const base = join(cacheDir(), "run");
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .flatMap((name) => {
      const s = readState(join(base, name));
      return s ? [{ ...s, id: s.id ?? basename(name) }] : [];
    });
}
