// Client tools the tests drive: kcat (librdkafka, Debian package `kcat`).
// Kafka's own Java tools run through kafkaTool() in kafka.ts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { runCommand, type RunOptions, type RunResult } from "./process.ts";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * A program from a Debian package: $<envVar> when set (it must exist), else
 * `name` on PATH; fails naming the package to install.
 */
export function debianBinary(name: string, envVar: string, pkg = name): string {
  const env = process.env[envVar];
  if (env) {
    if (!existsSync(env)) throw new Error(`${envVar}=${env}: no such file`);
    return env;
  }
  const bin = onPath(name);
  if (!bin) throw new Error(`${name} not found on PATH: install Debian's ${pkg} (apt-get install ${pkg}) or set ${envVar}`);
  return bin;
}

/** kcat from KCAT_BIN or PATH (`kcat`, or the older name `kafkacat`); throws when missing. */
export function kcatBin(): string {
  const bin = process.env.KCAT_BIN || onPath("kcat") || onPath("kafkacat");
  if (!bin) throw new Error("kcat not found: install it (Debian: apt-get install -y kcat) or set KCAT_BIN");
  return bin;
}

/** kcat's version line, e.g. "kcat - Apache Kafka producer and consumer tool … Version 1.7.1 (… librdkafka 2.0.2 …)". */
export function kcatVersion(): string {
  const r = spawnSync(kcatBin(), ["-V"], { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.split("\n").find((l) => /Version/i.test(l))?.trim() ?? "unknown";
}

/** Runs kcat to completion (stdin from `opts.input`); throws with the log tail on failure. */
export function kcat(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runCommand(kcatBin(), args, { name: "kcat", timeoutMs: 60_000, ...opts });
}
