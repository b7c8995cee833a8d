// The two ways a module can misbehave, as errors a test can read.

import { statusName } from "./abi.ts";

// A host call the module made that Envoy would reject, ignore, or that
// signals a bug (pointer outside memory, unknown metric id, a call not valid
// in this context...). The host still returns Envoy's status code to the
// module; the error is recorded so a test cannot pass over it silently.
export class HostCallError extends Error {
  constructor(
    readonly fn: string,
    readonly problem: string,
    readonly status: number,
    readonly contextId: number,
  ) {
    super(`${fn}: ${problem} (returned ${statusName(status)} to the module, context ${contextId})`);
    this.name = "HostCallError";
  }
}

// Thrown by a call* method in strict mode when the callback it drove made
// one or more malformed host calls.
export class HostCallErrors extends Error {
  constructor(readonly errors: HostCallError[]) {
    super(errors.length === 1 ? errors[0].message : `${errors.length} malformed host calls:\n  ${errors.map((e) => e.message).join("\n  ")}`);
    this.name = "HostCallErrors";
  }
}

// The module trapped (unreachable, out-of-bounds access, abort). The abort
// handler of our SDK logs "abort: <message> at <file>:<line>" before
// trapping; that line is carried here so the failure explains itself.
export class ModuleTrap extends Error {
  constructor(
    readonly callback: string,
    readonly abortMessage: string | undefined,
    readonly trap: Error,
  ) {
    super(`module trapped in ${callback}: ${abortMessage ?? "(no abort message logged)"} [${trap.message}]`);
    this.name = "ModuleTrap";
  }
}

// Internal: thrown inside a host function implementation to bail out with a
// status; the import wrapper turns it into a HostCallError + return code.
export class Fail {
  constructor(readonly status: number, readonly problem: string) {}
}
