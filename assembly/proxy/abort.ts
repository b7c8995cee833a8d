// AssemblyScript's abort handler (asconfig "use": abort=...). Reports through
// the host log at critical level, then traps so the host marks the VM failed.
// Imports nothing but proxy_log: pure codec fixtures link only that.
import { proxy_log } from "./imports";

let aborting = false;

export function onAbort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  // Building the message allocates; if that aborts too, just trap.
  if (aborting) unreachable();
  aborting = true;
  const text = "abort: " + (message == null ? "" : message) + " at " + (fileName == null ? "" : fileName) +
    ":" + lineNumber.toString() + ":" + columnNumber.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(5, changetype<usize>(bytes), <usize>bytes.byteLength);
  unreachable();
}
