// Safe wrappers over the raw imports: with memory.ts and exports.ts the only
// code that deals in pointers. Everything above speaks ArrayBuffer, string and
// WasmResult. Calls that reach beyond the current stream (shared state,
// stream control, outgoing calls) are in hostcalls_io.ts, re-exported here.
import * as abi from "./imports";
import { WasmResult, LogLevel, BufferType, MapType, MetricType } from "./types";
import { HeaderPair, serializePairs, deserializePairs } from "./pairs";
import { RET_PTR, RET_SIZE, RET_EXTRA, result, clearReturn, takeReturned, ptrOf, lenOf, armInto, disarmInto, takeInto } from "./memory";
export { lastStatus } from "./memory";
export * from "./hostcalls_io";

// ---- logging, clocks, timers

export function log(level: LogLevel, message: string): WasmResult {
  const m = String.UTF8.encode(message);
  return result(abi.proxy_log(<u32>level, changetype<usize>(m), m.byteLength));
}

export function getLogLevel(): LogLevel {
  clearReturn();
  if (result(abi.proxy_get_log_level(RET_EXTRA)) != WasmResult.Ok) return LogLevel.Trace;
  return <LogLevel>load<u32>(RET_EXTRA);
}

export function getCurrentTimeNanoseconds(): u64 {
  clearReturn();
  result(abi.proxy_get_current_time_nanoseconds(RET_EXTRA));
  return load<u64>(RET_EXTRA);
}

export function getMonotonicTimeNanoseconds(): u64 {
  clearReturn();
  const errno = abi.wasi_clock_time_get(1, 0, RET_EXTRA);
  result(errno == 0 ? WasmResult.Ok : WasmResult.InternalFailure);
  return load<u64>(RET_EXTRA);
}

export function getRandomBytes(size: i32): ArrayBuffer {
  const out = new ArrayBuffer(size);
  const errno = abi.wasi_random_get(changetype<usize>(out), size);
  result(errno == 0 ? WasmResult.Ok : WasmResult.InternalFailure);
  return out;
}

export function setTickPeriodMilliseconds(periodMs: u32): WasmResult {
  return result(abi.proxy_set_tick_period_milliseconds(periodMs));
}

// ---- buffers

export function getBufferSize(type: BufferType): u32 {
  clearReturn();
  if (result(abi.proxy_get_buffer_status(<u32>type, RET_SIZE, RET_EXTRA)) != WasmResult.Ok) return 0;
  return load<u32>(RET_SIZE);
}

export function getBufferBytes(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  clearReturn();
  if (result(abi.proxy_get_buffer_bytes(<u32>type, start, maxSize, RET_PTR, RET_SIZE)) != WasmResult.Ok) return null;
  return takeReturned();
}

// Up to maxSize (at most into.length) bytes from start, written into `into`
// from its first byte; the count, or -1 when the buffer is unavailable.
export function getBufferBytesInto(type: BufferType, start: u32, maxSize: u32, into: Uint8Array): i32 {
  clearReturn();
  armInto(into);
  const code = abi.proxy_get_buffer_bytes(<u32>type, start, min(maxSize, <u32>into.length), RET_PTR, RET_SIZE);
  disarmInto();
  if (result(code) != WasmResult.Ok) return -1;
  return takeInto(into);
}

export function setBufferBytes(type: BufferType, start: u32, size: u32, value: ArrayBuffer): WasmResult {
  return result(abi.proxy_set_buffer_bytes(<u32>type, start, size, changetype<usize>(value), value.byteLength));
}

// ---- header maps

export function getHeaderMapPairs(type: MapType): HeaderPair[] {
  clearReturn();
  if (result(abi.proxy_get_header_map_pairs(<u32>type, RET_PTR, RET_SIZE)) != WasmResult.Ok) return [];
  return deserializePairs(takeReturned());
}

export function setHeaderMapPairs(type: MapType, pairs: HeaderPair[]): WasmResult {
  const data = serializePairs(pairs);
  return result(abi.proxy_set_header_map_pairs(<u32>type, changetype<usize>(data), data.byteLength));
}

export function getHeaderMapValue(type: MapType, key: string): string | null {
  const k = String.UTF8.encode(key);
  clearReturn();
  const code = abi.proxy_get_header_map_value(<u32>type, changetype<usize>(k), k.byteLength, RET_PTR, RET_SIZE);
  if (result(code) != WasmResult.Ok) return null;
  return String.UTF8.decode(takeReturned());
}

export function addHeaderMapValue(type: MapType, key: string, value: string): WasmResult {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return result(abi.proxy_add_header_map_value(<u32>type, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength));
}

export function replaceHeaderMapValue(type: MapType, key: string, value: string): WasmResult {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return result(abi.proxy_replace_header_map_value(<u32>type, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength));
}

export function removeHeaderMapValue(type: MapType, key: string): WasmResult {
  const k = String.UTF8.encode(key);
  return result(abi.proxy_remove_header_map_value(<u32>type, changetype<usize>(k), k.byteLength));
}

// ---- properties: Envoy splits the path on NUL into segments

export function getProperty(path: string[]): ArrayBuffer | null {
  const p = String.UTF8.encode(path.join("\0"));
  clearReturn();
  if (result(abi.proxy_get_property(changetype<usize>(p), p.byteLength, RET_PTR, RET_SIZE)) != WasmResult.Ok) return null;
  return takeReturned();
}

export function setProperty(path: string[], value: ArrayBuffer): WasmResult {
  const p = String.UTF8.encode(path.join("\0"));
  return result(abi.proxy_set_property(changetype<usize>(p), p.byteLength, changetype<usize>(value), value.byteLength));
}

// ---- contexts, foreign functions

export function setEffectiveContext(contextId: u32): WasmResult {
  return result(abi.proxy_set_effective_context(contextId));
}

export function done(): WasmResult {
  return result(abi.proxy_done());
}

export function callForeignFunction(name: string, args: ArrayBuffer | null): ArrayBuffer | null {
  const n = String.UTF8.encode(name);
  clearReturn();
  const code = abi.proxy_call_foreign_function(changetype<usize>(n), n.byteLength, ptrOf(args), lenOf(args), RET_PTR, RET_SIZE);
  if (result(code) != WasmResult.Ok) return null;
  return takeReturned();
}

// ---- metrics

export function defineMetric(type: MetricType, name: string): u32 {
  const n = String.UTF8.encode(name);
  clearReturn();
  result(abi.proxy_define_metric(<u32>type, changetype<usize>(n), n.byteLength, RET_EXTRA));
  return load<u32>(RET_EXTRA);
}

export function incrementMetric(metricId: u32, delta: i64): WasmResult {
  return result(abi.proxy_increment_metric(metricId, delta));
}

export function recordMetric(metricId: u32, value: u64): WasmResult {
  return result(abi.proxy_record_metric(metricId, value));
}

export function getMetric(metricId: u32): u64 {
  clearReturn();
  result(abi.proxy_get_metric(metricId, RET_EXTRA));
  return load<u64>(RET_EXTRA);
}
