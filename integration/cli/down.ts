// `mqmesh down [id…]`: stops what detached `mqmesh up`s started. SIGTERM to
// each supervisor (it stops Envoy and the brokers as Ctrl-C would), wait; then
// any process group still recorded in the run folder (e.g. the supervisor was
// SIGKILLed) gets SIGTERM, then SIGKILL.
// `mqmesh status`: lists the runs and whether they still run.
import { existsSync, rmSync } from "node:fs";
import { progress } from "../stack/cache.ts";
import { detachedRuns, groupAlive, livePids, ownerAlive, readState, writeState, type UpState } from "./state.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface DownOptions {
  /** Also stop foreground `up`s (as Ctrl-C would). */
  all: boolean;
  /** Seconds to wait for a supervisor's clean teardown before killing. */
  timeout: number;
  json: boolean;
}

interface Stopped {
  id: string;
  pid: number;
  clean: boolean;
  killed: string[];
  seconds: number;
}

async function stopRun(run: UpState, timeoutS: number): Promise<Stopped> {
  const t = Date.now();
  const killed: string[] = [];
  let clean = true;
  if (ownerAlive(run)) {
    progress("down", `${run.id}: SIGTERM to pid ${run.pid}`);
    process.kill(run.pid, "SIGTERM");
    const deadline = Date.now() + timeoutS * 1000;
    while (ownerAlive(run) && Date.now() < deadline) await sleep(200);
    if (ownerAlive(run)) {
      clean = false;
      progress("down", `${run.id}: pid ${run.pid} still runs after ${timeoutS} s: SIGKILL`);
      process.kill(run.pid, "SIGKILL");
    }
  }
  // Whatever the owner did not stop (it died, or was killed just now).
  const left = livePids(run.runDir);
  if (left.length) {
    clean = false;
    for (const p of left) {
      progress("down", `${run.id}: ${p.name} (pid ${p.pid}) still runs: SIGTERM to its group`);
      try {
        process.kill(-p.pid, "SIGTERM");
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + 10_000;
    while (left.some((p) => groupAlive(p.pid)) && Date.now() < deadline) await sleep(200);
    for (const p of left) {
      if (groupAlive(p.pid)) {
        try {
          process.kill(-p.pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      killed.push(`${p.name}.${p.pid}`);
      rmSync(p.file, { force: true });
    }
  }
  const latest = readState(run.runDir) ?? run;
  if (latest.status !== "stopped" && existsSync(run.runDir)) writeState({ ...latest, status: "stopped" });
  return { id: run.id, pid: run.pid, clean, killed, seconds: Number(((Date.now() - t) / 1000).toFixed(1)) };
}

function isRunning(run: UpState): boolean {
  return ownerAlive(run) || livePids(run.runDir).length > 0;
}

export async function down(ids: string[], opts: DownOptions): Promise<number> {
  const runs = detachedRuns().filter(isRunning);
  let chosen: UpState[];
  if (ids.length) {
    const unknown = ids.filter((id) => !runs.some((r) => r.id === id));
    if (unknown.length) {
      process.stderr.write(`mqmesh down: no running stack with id ${unknown.join(", ")} (see mqmesh status)\n`);
      return 1;
    }
    chosen = runs.filter((r) => ids.includes(r.id));
  } else chosen = runs.filter((r) => r.detached || opts.all);
  if (chosen.length === 0) {
    if (opts.json) process.stdout.write(JSON.stringify({ stopped: [] }) + "\n");
    else process.stdout.write("mqmesh down: nothing is running\n");
    return 0;
  }
  const stopped = await Promise.all(chosen.map((r) => stopRun(r, opts.timeout)));
  if (opts.json) process.stdout.write(JSON.stringify({ stopped }, null, 2) + "\n");
  else {
    for (const s of stopped) {
      const how = s.clean ? "stopped cleanly" : `stopped; had to kill ${s.killed.length ? s.killed.join(", ") : `pid ${s.pid}`}`;
      process.stdout.write(`${s.id}: ${how} in ${s.seconds} s\n`);
    }
  }
  return 0;
}

export function status(json: boolean): number {
  const runs = detachedRuns().map((r) => ({ ...r, running: isRunning(r), processes: livePids(r.runDir).map((p) => `${p.name}.${p.pid}`) }));
  const live = runs.filter((r) => r.running);
  if (json) {
    process.stdout.write(JSON.stringify(live.map((r) => ({ id: r.id, pid: r.pid, detached: r.detached, status: r.status, processes: r.processes, runDir: r.runDir, ...r.endpoints })), null, 2) + "\n");
    return 0;
  }
  if (live.length === 0) {
    process.stdout.write("no mqmesh stack is running\n");
    return 0;
  }
  for (const r of live) {
    process.stdout.write(`${r.id}  ${r.detached ? "detached" : "foreground"}  pid ${r.pid}  ${r.status}\n`);
    if (r.endpoints?.kafka) process.stdout.write(`  kafka bootstrap ${r.endpoints.kafka.bootstrap}\n`);
    if (r.endpoints?.rocketmq) process.stdout.write(`  rocketmq namesrv ${r.endpoints.rocketmq.namesrv}  gRPC ${r.endpoints.rocketmq.grpc}\n`);
    process.stdout.write(`  processes: ${r.processes.join(" ") || "none"}\n`);
  }
  return 0;
}
