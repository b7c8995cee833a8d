// `mqmesh up`: build the filters, start Kafka and RocketMQ with their Envoy
// sidecars and the HTTP bridge, every filter configured from the policy file
// (stack.ts), print the endpoints, apply edits of the policy while running
// (reload.ts), stay up until Ctrl-C.
//
// --detach: this process spawns a supervisor (`mqmesh up --supervise`, a Node
// process in its own session) that does the same, tells us over IPC when it is
// up, and keeps the stack alive after we exit; `mqmesh down` sends it SIGTERM
// and it tears the stack down with the same code as Ctrl-C. The stack's
// processes keep their usual owner (the supervisor), so stack/process.ts needs
// no change: if the supervisor itself is SIGKILLed, the next user of the stack
// reaps its process groups as for any dead run.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy } from "../../policy/policy.ts";
import { cachePath, progress, runCommand, runDir, stopAll } from "../stack/index.ts";
import type { RocketMQMode } from "../stack/rocketmq.ts";
import { formatEndpoints } from "./endpoints.ts";
import { watchPolicy } from "./reload.ts";
import { startStack, type RunningStack } from "./stack.ts";
import { readState, writeState, type UpState } from "./state.ts";

export interface UpOptions {
  /** The policy file the filters are configured from, watched while up runs. */
  policy: string;
  /** Also Prometheus scraping the sidecars. */
  monitoring: boolean;
  kafka: boolean;
  rocketmq: boolean;
  kafkaBrokers: number;
  rocketmqMode?: RocketMQMode;
  /** false: use whatever is in build/ (--no-build). */
  build: boolean;
  /** Compile even when build/<filter>.wasm is newer than its sources. */
  rebuild: boolean;
  json: boolean;
  detach: boolean;
  /** Internal: this process is the detached supervisor. */
  supervise: boolean;
  /** --detach: give up waiting for the supervisor after this many seconds. */
  timeout: number;
}

const projectRoot = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(projectRoot, "bin", "mqmesh.mjs");
const secondsSince = (t: number) => (Date.now() - t) / 1000;

/** Runs `mqmesh build` as a child process (own process group, stopped on teardown; the event loop stays free meanwhile). */
async function buildInChild(force: boolean): Promise<void> {
  const t = Date.now();
  await runCommand(process.execPath, [BIN, "build", ...(force ? ["--rebuild"] : [])], {
    name: "mqmesh-build",
    cwd: projectRoot,
    timeoutMs: 30 * 60_000,
    // Progress lines as they come; a failure's output is in the error (the log's tail).
    onLine: (line) => {
      if (line.startsWith("[mqmesh ")) process.stderr.write(`${line}\n`);
    },
  });
  progress("build", `filters ready in ${secondsSince(t).toFixed(1)} s`);
}

/**
 * Build, start, record the state in the run folder, then call onReady (or
 * onFail). SIGINT/SIGTERM/SIGHUP at any point tear down what runs and exit 0.
 */
async function bringUp(opts: UpOptions, detached: boolean, onReady: (state: UpState) => void, onFail: (e: Error) => void): Promise<void> {
  const started = Date.now();
  const state: UpState = {
    id: runDir().split("/").pop()!,
    runDir: runDir(),
    pid: process.pid,
    detached,
    status: "starting",
    startedAt: new Date(started).toISOString(),
  };
  writeState(state);
  let stack: RunningStack | undefined;
  let stopping: Promise<void> | undefined;
  const teardown = (why: string) => {
    if (stopping) {
      // A second Ctrl-C: stop waiting (the exit hook of stack/process.ts kills what is left).
      progress("up", `${why} again: exiting now`);
      process.exit(130);
    }
    const t = Date.now();
    progress("up", `${why}: stopping`);
    writeState({ ...(readState(state.runDir) ?? state), status: "stopping" });
    stopping = (async () => {
      try {
        await stack?.stop();
        await stopAll();
      } finally {
        writeState({ ...(readState(state.runDir) ?? state), status: "stopped" });
        progress("up", `stopped in ${secondsSince(t).toFixed(1)} s`);
        process.exit(0);
      }
    })();
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => teardown(sig));
  try {
    if (!opts.build) progress("build", "skipped (--no-build)");
    const built = opts.build ? buildInChild(opts.rebuild) : Promise.resolve();
    built.catch(() => {}); // reported through startStack (or below, without Kafka)
    // A policy that does not validate fails before anything starts.
    const policy = loadPolicy(opts.policy);
    stack = await startStack({ ...opts, policyFile: opts.policy }, policy, built);
    await built;
    watchPolicy(opts.policy, stack.filters, stack.ecdsDir, policy);
  } catch (e) {
    if (stopping) return;
    writeState({ ...state, status: "failed", error: (e as Error).message });
    await stack?.stop();
    await stopAll();
    onFail(e as Error);
    return;
  }
  if (stopping) {
    // A signal arrived while starting: the teardown started above also stops what came up.
    await stack.stop();
    return;
  }
  const up: UpState = {
    ...state,
    status: "up",
    readyAt: new Date().toISOString(),
    startSeconds: Number(secondsSince(started).toFixed(1)),
    endpoints: stack.endpoints,
  };
  writeState(up);
  onReady(up);
}

/** `mqmesh up` in the foreground: prints the endpoints and stays until Ctrl-C. */
export async function upForeground(opts: UpOptions): Promise<void> {
  await bringUp(
    opts,
    false,
    (state) => {
      if (opts.json) process.stdout.write(JSON.stringify(publicState(state), null, 2) + "\n");
      else process.stdout.write(`\n${formatEndpoints(state.endpoints!, state.startSeconds!)}\n\nPress Ctrl-C to stop.\n`);
    },
    (e) => {
      process.stderr.write(`\n${e.message}\n`);
      process.exit(1);
    },
  );
  // The signal handlers (and the running processes' exit promises) keep the event loop alive.
  setInterval(() => {}, 1 << 30);
}

/** `mqmesh up --supervise`: the detached supervisor (started by `up --detach`). */
export async function supervise(opts: UpOptions): Promise<void> {
  writeFileSync(join(runDir(), "owner.pid"), String(process.pid));
  let ready = false;
  // The parent went away before we were up (e.g. Ctrl-C on `up --detach`): nobody will learn the endpoints, so stop.
  process.on("disconnect", () => {
    if (!ready) process.kill(process.pid, "SIGTERM");
  });
  await bringUp(
    opts,
    true,
    (state) => {
      ready = true;
      process.send?.({ type: "ready", state });
      process.disconnect?.();
    },
    (e) => {
      process.send?.({ type: "failed", error: e.message });
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 200);
    },
  );
  setInterval(() => {}, 1 << 30);
}

/** What --json prints: the state minus nothing secret (there is nothing secret), in a stable order. */
function publicState(s: UpState) {
  return { id: s.id, pid: s.pid, detached: s.detached, startSeconds: s.startSeconds, runDir: s.runDir, ...s.endpoints };
}

/** `mqmesh up --detach`: starts the supervisor, relays its log to stderr until it is up, prints the endpoints, returns. */
export async function upDetached(opts: UpOptions): Promise<void> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  const dir = cachePath("run", `${stamp}-up-${process.pid}`);
  const log = join(cachePath("run", `${stamp}-up-${process.pid}`, "logs"), "mqmesh-up.log");
  const args = [BIN, "up", "--supervise", "--policy", opts.policy, "--kafka-brokers", String(opts.kafkaBrokers)];
  if (opts.monitoring) args.push("--monitoring");
  if (!opts.kafka) args.push("--no-kafka");
  if (!opts.rocketmq) args.push("--no-rocketmq");
  if (opts.rocketmqMode) args.push("--rocketmq-mode", opts.rocketmqMode);
  if (!opts.build) args.push("--no-build");
  if (opts.rebuild) args.push("--rebuild");
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, args, {
    cwd: projectRoot,
    env: { ...process.env, MQMESH_RUN_DIR: dir },
    detached: true, // own session: survives this process and the terminal
    stdio: ["ignore", fd, fd, "ipc"],
  });
  closeSync(fd);
  // Relay the supervisor's progress lines while it starts.
  let offset = 0;
  const relay = () => {
    if (!existsSync(log)) return;
    const size = statSync(log).size;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    const f = openSync(log, "r");
    try {
      readSync(f, buf, 0, buf.length, offset);
    } finally {
      closeSync(f);
    }
    offset = size;
    process.stderr.write(buf);
  };
  const timer = setInterval(relay, 200);
  const onSignal = () => {
    progress("up", "interrupted: stopping the detached stack");
    child.kill("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const outcome = await new Promise<{ type: "ready"; state: UpState } | { type: "failed"; error: string }>((resolve) => {
    child.on("message", (m) => resolve(m as never));
    child.on("exit", (code, signal) => resolve({ type: "failed", error: `the supervisor exited (code ${code}, signal ${signal}) before the stack was up; log: ${log}` }));
    setTimeout(() => {
      child.kill("SIGTERM");
      resolve({ type: "failed", error: `timed out after ${opts.timeout} s waiting for the stack; log: ${log}` });
    }, opts.timeout * 1000).unref();
  });
  clearInterval(timer);
  relay();
  process.removeListener("SIGINT", onSignal);
  process.removeListener("SIGTERM", onSignal);
  if (child.connected) child.disconnect();
  child.unref();
  if (outcome.type === "failed") {
    process.stderr.write(`\n${outcome.error}\n`);
    process.exitCode = 1;
    return;
  }
  const state = outcome.state;
  if (opts.json) process.stdout.write(JSON.stringify(publicState(state), null, 2) + "\n");
  else {
    process.stdout.write(`\n${formatEndpoints(state.endpoints!, state.startSeconds!)}\n\n`);
    process.stdout.write(`Running detached (supervisor pid ${state.pid}, run ${state.id}). Stop with: mqmesh down\n`);
  }
}
