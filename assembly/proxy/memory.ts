// Pointer glue shared by the hostcall wrappers: the slots the host writes
// results into, and the copy-out of host-allocated blocks.
//
// Memory rules:
// - Blocks the host returns were allocated through proxy_on_memory_allocate
//   (heap.alloc); each is copied into a managed ArrayBuffer and freed at once.
// - Buffers handed to the host are managed objects held in locals for the
//   whole call. The incremental GC only steps inside managed allocations, and
//   the host re-enters the module during a call only for
//   proxy_on_memory_allocate, which does not allocate managed objects, so a
//   buffer can neither move nor be collected while the host reads it.
import { WasmResult } from "./types";

// Return slots the host writes into. Safe to share: see the re-entry note above.
export const RET_PTR = memory.data(4, 4);
export const RET_SIZE = memory.data(4, 4);
export const RET_EXTRA = memory.data(8, 8);

let status: WasmResult = WasmResult.Ok;

// Status of the last host call, for wrappers that return a value or null.
export function lastStatus(): WasmResult {
  return status;
}

export function result(code: u32): WasmResult {
  status = <WasmResult>code;
  return status;
}

export function clearReturn(): void {
  store<usize>(RET_PTR, 0);
  store<u32>(RET_SIZE, 0);
  store<u64>(RET_EXTRA, 0);
}

export function takeReturned(): ArrayBuffer {
  const ptr = load<usize>(RET_PTR);
  const size = load<u32>(RET_SIZE);
  if (ptr == 0) return new ArrayBuffer(0);
  const out = new ArrayBuffer(<i32>size);
  memory.copy(changetype<usize>(out), ptr, size);
  heap.free(ptr);
  return out;
}

export function ptrOf(b: ArrayBuffer | null): usize {
  return b == null ? 0 : changetype<usize>(b);
}

export function lenOf(b: ArrayBuffer | null): usize {
  return b == null ? 0 : <usize>b.byteLength;
}
