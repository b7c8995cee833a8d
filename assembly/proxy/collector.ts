// When garbage is collected. The module is built with AssemblyScript's
// minimal runtime (two-colour mark & sweep, asconfig.json), which never
// collects on its own and does not scan the Wasm stack; so collection may
// only run when no callback is under way: at the end of an outermost
// proxy_on_* callback. Envoy re-enters the module during host calls
// (proxy_on_memory_allocate, and a callback a host call triggers, such as a
// close), hence the depth count. A trap leaves the depth behind, but Envoy
// never calls into a VM that trapped again.
//
// Why not the incremental runtime: it keeps a shadow stack of every managed
// local, checks it on every call and puts a write barrier on every field
// store; for a network filter's per-frame work that was about 40% of the
// module's time (the kafka filter in Node's V8 on Java-like produce traffic:
// 11.5 -> 7.0 µs per request).
//
// A collection marks what globals reach and sweeps what else was allocated,
// so its cost grows with the garbage since the last one: it runs after
// COLLECT_EVERY outermost callbacks, or sooner when the blocks the host wrote
// into the module add up to HOST_BYTES (large bodies make large garbage), or
// when memory had to grow (the heap ran out of freed space).
const COLLECT_EVERY: i32 = 256;
const HOST_BYTES: usize = 1 << 20;

let depth: i32 = 0;
let callbacks: i32 = 0;
let hostBytes: usize = 0;
let pagesAtCollect: i32 = 0;

export function callbackStarted(): void {
  depth++;
}

// Ends a callback and passes its result through, so an export can
// `return callbackEnded(...)`.
export function callbackEnded<T>(result: T): T {
  if (--depth == 0) {
    callbacks++;
    if (callbacks >= COLLECT_EVERY || hostBytes >= HOST_BYTES || memory.size() != pagesAtCollect) collectNow();
  }
  return result;
}

export function hostBlockAllocated(size: usize): void {
  hostBytes += size;
}

function collectNow(): void {
  __collect();
  callbacks = 0;
  hostBytes = 0;
  pagesAtCollect = memory.size();
}
