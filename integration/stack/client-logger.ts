// A logger for rocketmq-client-nodejs that writes to the run's log folder
// instead of the console, so a test's output stays readable and the client's
// own account of a failure is there to read afterwards.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { runPath } from "./cache.ts";

export function fileLogger(name: string) {
  const file = join(runPath("logs"), `${name}.log`);
  const write = (level: string) => (...args: unknown[]) =>
    appendFileSync(file, `${new Date().toISOString()} ${level} ${args.map((a) => (a instanceof Error ? a.stack : typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`);
  return { info: write("INFO"), warn: write("WARN"), error: write("ERROR"), debug: () => {} };
}
