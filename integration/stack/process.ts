// Long-running processes (brokers, Envoy) and one-shot commands (pip, mvn,
// format tools), each with its output in a log file under the run folder.
// Every long-running process gets its own process group; stopping sends
// SIGTERM to the group, then SIGKILL after a grace period. Groups still alive
// when Node exits (normally, on SIGINT/SIGTERM, or on an uncaught error) are
// killed, and groups left behind by a crashed earlier run are reaped on start.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir, progress, runDir, runPath } from "./cache.ts";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** The exit status once the process has exited, else undefined. */
  exitStatus(): Exit | undefined;
  /** The last `lines` lines of the log file. */
  tail(lines?: number): string;
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Defaults to <run dir>/logs/<name>.log */
  logFile?: string;
}

const live = new Map<number, ManagedProcess>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tailFile(file: string, lines = 40): string {
  if (!existsSync(file)) return "(no log file)";
  const size = statSync(file).size;
  const want = Math.min(size, 64 * 1024);
  const buf = Buffer.alloc(want);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buf, 0, want, size - want);
  } finally {
    closeSync(fd);
  }
  return buf.toString("utf8").split("\n").slice(-lines - 1).join("\n").trimEnd();
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

/** Starts a long-running process in its own process group, output to its log file. */
export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  installExitHooks();
  const logFile = opts.logFile ?? join(runPath("logs"), `${opts.name}.log`);
  const fd = openSync(logFile, "a");
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group: kill(-pid) reaches its children too
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  let status: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.on("exit", (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
    child.on("error", (err) => {
      writeFileSync(logFile, `\nspawn failed: ${err.message}\n`, { flag: "a" });
      status = { code: -1, signal: null };
      resolve(status);
    });
  });
  const pid = child.pid ?? -1;
  const pidFile = join(runPath("pids"), `${opts.name}.${pid}`);
  if (pid > 0) writeFileSync(pidFile, `${opts.command}\n`);
  const proc: ManagedProcess = {
    name: opts.name,
    pid,
    logFile,
    exited,
    exitStatus: () => status,
    tail: (lines?: number) => tailFile(logFile, lines),
    async stop(graceMs = 10_000) {
      if (pid > 0) {
        killGroup(pid, "SIGTERM");
        const deadline = Date.now() + graceMs;
        while ((status === undefined || groupAlive(pid)) && Date.now() < deadline) await sleep(100);
        if (groupAlive(pid)) killGroup(pid, "SIGKILL");
        if (status === undefined) await Promise.race([exited, sleep(5000)]);
      }
      live.delete(pid);
      rmSync(pidFile, { force: true });
    },
  };
  if (pid > 0) live.set(pid, proc);
  child.unref();
  return proc;
}

export interface WaitOptions {
  /** What is being waited for, for the error message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Stop waiting (and fail) as soon as this process (or any of these) exits. */
  proc?: ManagedProcess | ManagedProcess[];
}

/**
 * Polls `check` until it returns true. Fails when the timeout passes or the
 * watched process exits; the error carries the tail of the process's log.
 */
export async function waitUntil(check: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastError = "";
  const procs = opts.proc === undefined ? [] : Array.isArray(opts.proc) ? opts.proc : [opts.proc];
  for (;;) {
    for (const p of procs) {
      const st = p.exitStatus();
      if (st) throw startError(p, `${p.name} exited (code ${st.code}, signal ${st.signal}) before ${opts.what}`);
    }
    try {
      if (await check()) return;
    } catch (e) {
      lastError = (e as Error).message;
    }
    if (Date.now() > deadline) {
      throw startError(procs[0], `timed out after ${opts.timeoutMs ?? 60_000} ms waiting for ${opts.what}${lastError ? ` (last error: ${lastError})` : ""}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

function startError(proc: ManagedProcess | undefined, message: string): Error {
  if (!proc) return new Error(message);
  const tail = proc.tail(60);
  process.stderr.write(`\n--- last lines of ${proc.logFile} ---\n${tail}\n--- end ---\n`);
  return new Error(`${message}\nlog: ${proc.logFile}\n${tail}`);
}

export interface RunOptions {
  /** Log file name under <run dir>/logs (default: derived from the command). */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Called with each complete output line (stdout and stderr), e.g. to print progress. */
  onLine?: (line: string) => void;
  /** Data written to stdin. */
  input?: string | Buffer;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  logFile: string;
}

/**
 * Runs a command to completion in its own process group; output goes to a log
 * file (and is returned). A non-zero exit or timeout throws with the log tail.
 */
export async function runCommand(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  installExitHooks();
  const name = opts.name ?? command.split("/").pop()!;
  const logFile = join(runPath("logs"), `${name}.log`);
  writeFileSync(logFile, `$ ${command} ${args.join(" ")}\n`, { flag: "a" });
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  const pid = child.pid ?? -1;
  let stdout = "";
  let stderr = "";
  let partial = "";
  const onData = (which: "out" | "err") => (chunk: Buffer) => {
    const s = chunk.toString("utf8");
    if (which === "out") stdout += s;
    else stderr += s;
    writeFileSync(logFile, s, { flag: "a" });
    if (opts.onLine) {
      partial += s;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const l of lines) opts.onLine(l);
    }
  };
  child.stdout!.on("data", onData("out"));
  child.stderr!.on("data", onData("err"));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const pseudo = { name, pid, logFile } as ManagedProcess;
  if (pid > 0) live.set(pid, { ...pseudo, stop: async () => killGroup(pid, "SIGKILL") } as ManagedProcess);
  let timedOut = false;
  const timer = opts.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        killGroup(pid, "SIGKILL");
      }, opts.timeoutMs)
    : undefined;
  const code = await new Promise<number>((resolve) => {
    child.on("error", (err) => {
      stderr += err.message;
      resolve(-1);
    });
    child.on("close", (c, sig) => resolve(c ?? (sig ? 128 : -1)));
  });
  if (timer) clearTimeout(timer);
  live.delete(pid);
  if (code !== 0 || timedOut) {
    const tail = tailFile(logFile, 40);
    const shown = args.map((a) => (a.length > 120 ? `${a.slice(0, 40)}…` : a)).join(" ");
    throw new Error(`${name}: ${command} ${shown} ${timedOut ? "timed out" : `exited with ${code}`}\nlog: ${logFile}\n${tail}`);
  }
  return { code, stdout, stderr, logFile };
}

/** Stops every process this Node process started that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live.values()].map((p) => p.stop()));
}

function killAllNow(): void {
  for (const pid of live.keys()) killGroup(pid, "SIGKILL");
  live.clear();
}

let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  reapStrays();
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = () => {
      const procs = [...live.values()];
      const finish = () => {
        killAllNow();
        process.removeListener(sig, handler);
        // Nobody else handles the signal: terminate as its default action would.
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      if (procs.length === 0) return finish();
      progress("stack", `${sig}: stopping ${procs.length} process(es)`);
      for (const p of procs) killGroup(p.pid, "SIGTERM");
      // Give them a moment to exit cleanly, then make sure.
      setTimeout(finish, 1500);
    };
    process.on(sig, handler);
  }
}

/**
 * Kills process groups recorded in run folders whose owning Node process is
 * gone (a run that was SIGKILLed cannot clean up after itself).
 */
function reapStrays(): void {
  const base = join(cacheDir(), "run");
  if (!existsSync(base)) return;
  const mine = runDir();
  for (const name of readdirSync(base)) {
    const dir = join(base, name);
    if (dir === mine || !existsSync(join(dir, "pids"))) continue;
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, "owner.pid"), "utf8"));
    } catch {
      continue;
    }
    if (owner && groupOrPidAlive(owner)) continue;
    for (const f of readdirSync(join(dir, "pids"))) {
      const pid = Number(f.split(".").pop());
      if (!pid) continue;
      const cmd = readFileSync(join(dir, "pids", f), "utf8").trim();
      // Guard against pid reuse: the group leader must still run the same command.
      let current = "";
      try {
        current = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
      } catch {
        /* gone */
      }
      if (current && current === cmd && groupAlive(pid)) {
        progress("stack", `killing stray ${f} left by dead run ${name}`);
        killGroup(pid, "SIGKILL");
      }
      rmSync(join(dir, "pids", f), { force: true });
    }
  }
}

function groupOrPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
