// Measuring pieces shared by the benchmarks (bench/kafka.ts, bench/rocketmq.ts):
// a process's CPU time from /proc, idle CPU of a few processes, medians and
// ranges over rounds, per-round ratios against a baseline case, verdicts,
// tables, a machine line, integer options.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Parses an integer option (--name) that must be >= min; exits with a usage error otherwise. */
export function intOption(name: string, text: string, min = 1): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} ${text}: expected an integer >= ${min}`);
    process.exit(2);
  }
  return n;
}

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime of a process (all its threads), seconds (/proc/<pid>/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / CLK_TCK;
}

/** CPU each process burns doing nothing (timers, stats flushes), ms of CPU per second, measured together over `ms`. */
export async function idleCpuMsPerSec<K extends string>(pids: Partial<Record<K, number>>, ms = 5000): Promise<Partial<Record<K, number>>> {
  const entries = Object.entries(pids) as [K, number][];
  const c0 = entries.map(([, pid]) => cpuSeconds(pid));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  const secs = (Date.now() - t0) / 1000;
  const out: Partial<Record<K, number>> = {};
  entries.forEach(([k, pid], i) => (out[k] = ((cpuSeconds(pid) - c0[i]) * 1000) / secs));
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** "min–max" with d decimals, "" for no values. */
export function range(xs: number[], d: number): string {
  return xs.length ? `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}` : "";
}

/** max ÷ min: how much one case varied between rounds. */
export function spread(xs: number[]): number {
  return xs.length ? Math.max(...xs) / Math.min(...xs) : NaN;
}

export const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : "");
export const pctRange = (xs: number[]) => `${(Math.min(...xs) * 100).toFixed(0)}–${(Math.max(...xs) * 100).toFixed(0)}%`;
export const timesRange = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}x`;

/** One measurement of one case in one round. */
export interface RoundRun<C extends string = string> {
  round: number;
  caseId: C;
}

/** Paired ratios: each round's `caseId` figure ÷ the same round's `base` figure. */
export function pairedRatios<R extends RoundRun>(runs: R[], caseId: string, base: string, pick: (r: R) => number | undefined): number[] {
  const xs: number[] = [];
  for (const r of runs.filter((x) => x.caseId === caseId)) {
    const b = runs.find((x) => x.caseId === base && x.round === r.round);
    const num = pick(r), den = b && pick(b);
    if (num !== undefined && den !== undefined && den > 0) xs.push(num / den);
  }
  return xs;
}

/** A target is met (or missed) when every round says so; otherwise the noise decides: "mixed". */
export function verdict(xs: number[], ok: (x: number) => boolean): "met" | "mixed" | "MISSED" {
  return xs.every(ok) ? "met" : xs.some(ok) ? "mixed" : "MISSED";
}

/** Column-aligned lines: first column left, the others right, a rule under the header row. */
export function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  return [line(rows[0]), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)];
}

/** "<cores> cores <model>, load avg <1 5 15>" */
export function machine(): string {
  const info = readFileSync("/proc/cpuinfo", "utf8");
  const cpu = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? "?";
  const cores = info.match(/^processor\s*:/gm)?.length ?? 0;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  return `${cores} cores ${cpu}, load avg ${load}`;
}

/** The noise line when the baseline's own throughput varied more than 1.2x between rounds, else undefined. */
export function noiseNote(baseline: string, xs: number[]): string | undefined {
  const s = spread(xs);
  return s > 1.2
    ? `noise: ${baseline} throughput alone varied ${s.toFixed(1)}x between rounds; differences smaller than that are noise (use more --rounds or a quieter machine).`
    : undefined;
}

/**
 * The rows of a case table: per case its throughput and Envoy CPU (median,
 * min–max, ratio of medians against "tcp" when that case ran) and median p99.
 */
export function caseRows(
  cases: string[],
  label: (c: string) => string,
  tput: (c: string) => number[],
  cpu: (c: string) => number[],
  p99: (c: string) => number[],
  digits: { tput: number; cpu: number; p99: number },
): string[][] {
  const hasTcp = cases.includes("tcp");
  const ofMedians = (c: string, xs: (c: string) => number[]) => median(xs(c)) / median(xs("tcp"));
  return cases.map((c) => {
    const t = tput(c), u = cpu(c);
    return [
      label(c),
      median(t).toFixed(digits.tput),
      range(t, digits.tput),
      hasTcp ? fmtRatio(ofMedians(c, tput)) : "",
      u.length ? median(u).toFixed(digits.cpu) : "–",
      range(u, digits.cpu),
      hasTcp && u.length ? fmtRatio(ofMedians(c, cpu)) : "",
      median(p99(c)).toFixed(digits.p99),
    ];
  });
}
