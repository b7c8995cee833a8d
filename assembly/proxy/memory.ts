// Pointer glue shared by the hostcall wrappers: the slots the host writes
// results into, and the hand-over of host-allocated blocks.
//
// Memory rules:
// - Blocks the host returns were allocated through proxy_on_memory_allocate
//   as pinned managed ArrayBuffers; takeReturned unpins one and returns it,
//   so the host's copy is the only one (this is on every read of a buffer).
// - Buffers handed to the host are managed objects held in locals for the
//   whole call. The host may re-enter the module during a call (allocation,
//   and other callbacks inside proxy_http_call), but garbage is collected only
//   once the outermost callback is over (collector.ts) and AssemblyScript's
//   GC never moves objects, so a buffer stays where the host reads it.
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
  const block = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  // The host reports what it wrote; it allocated exactly that so far, but a
  // shorter report must not expose the rest.
  return <u32>block.byteLength == size ? block : block.slice(0, <i32>size);
}

// A read into memory the caller keeps (readInto): the block the host asks
// for next is that memory when it fits, instead of a new ArrayBuffer that
// becomes garbage. Armed for one host call.
let intoPtr: usize = 0;
let intoCapacity: usize = 0;

export function armInto(into: Uint8Array): void {
  intoPtr = into.dataStart;
  intoCapacity = <usize>into.length;
}

export function disarmInto(): void {
  intoPtr = 0;
  intoCapacity = 0;
}

// proxy_on_memory_allocate's first choice: the armed memory, or 0.
export function allocateInto(size: usize): usize {
  if (intoPtr == 0 || size > intoCapacity) return 0;
  const ptr = intoPtr;
  disarmInto();
  return ptr;
}

// After the armed call: how many bytes the host wrote into `into` (copied
// there when it had to allocate elsewhere, at most into.length).
export function takeInto(into: Uint8Array): i32 {
  const ptr = load<usize>(RET_PTR);
  const size = <i32>load<u32>(RET_SIZE);
  if (ptr == 0) return 0;
  if (ptr == into.dataStart) return min(size, into.length);
  const block = changetype<ArrayBuffer>(ptr);
  __unpin(ptr);
  const n = min(min(size, block.byteLength), into.length);
  memory.copy(into.dataStart, ptr, <usize>n);
  return n;
}

export function ptrOf(b: ArrayBuffer | null): usize {
  return b == null ? 0 : changetype<usize>(b);
}

export function lenOf(b: ArrayBuffer | null): usize {
  return b == null ? 0 : <usize>b.byteLength;
}
