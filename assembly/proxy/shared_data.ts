// Process-wide key/value store (per vm_id) with compare-and-swap. Read a
// value and its cas, compute, write back with that cas; on CasMismatch
// another worker won the race: read again and retry.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
export { SharedDataResult } from "./hostcalls";

// status NotFound (value null, cas 0) when the key was never set.
export function getSharedData(key: string): host.SharedDataResult {
  return host.getSharedData(key);
}

// cas 0 writes unconditionally.
export function setSharedData(key: string, value: ArrayBuffer | null, cas: u32 = 0): WasmResult {
  return host.setSharedData(key, value, cas);
}

export function setSharedString(key: string, value: string, cas: u32 = 0): WasmResult {
  return host.setSharedData(key, String.UTF8.encode(value), cas);
}
