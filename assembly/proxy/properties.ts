// Host properties by path segments, e.g. ["source", "address"],
// ["plugin_root_id"], ["request", "path"]. Envoy returns strings as raw
// UTF-8 and integers as 8-byte little-endian values.
import { WasmResult } from "./types";
import * as host from "./hostcalls";

export function getProperty(path: string[]): ArrayBuffer | null {
  return host.getProperty(path);
}

export function getPropertyString(path: string[]): string | null {
  const raw = host.getProperty(path);
  return raw == null ? null : String.UTF8.decode(raw);
}

// Little-endian integer of up to 8 bytes; `fallback` when absent.
export function getPropertyInt(path: string[], fallback: i64 = 0): i64 {
  const raw = host.getProperty(path);
  if (raw == null || raw.byteLength == 0) return fallback;
  const bytes = Uint8Array.wrap(raw);
  const n = min(bytes.length, 8);
  let value: u64 = 0;
  for (let i = 0; i < n; i++) value |= (<u64>bytes[i]) << (<u64>(8 * i));
  return <i64>value;
}

export function setProperty(path: string[], value: ArrayBuffer): WasmResult {
  return host.setProperty(path, value);
}

export function setPropertyString(path: string[], value: string): WasmResult {
  return host.setProperty(path, String.UTF8.encode(value));
}
