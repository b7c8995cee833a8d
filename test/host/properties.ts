// Properties (proxy_get_property / proxy_set_property). The module names a
// property by path segments joined with NUL ("source\0address"); tests name
// them with dots ("source.address"). Values are bytes as Envoy serializes
// them: strings raw, integers as 8-byte little-endian, booleans as 1 byte.

import { toBytes } from "./memory.ts";

export type PropertyValue = string | Uint8Array | number | bigint | boolean;

export function propertyBytes(value: PropertyValue): Uint8Array {
  if (typeof value === "string" || value instanceof Uint8Array) return toBytes(value);
  if (typeof value === "boolean") return new Uint8Array([value ? 1 : 0]);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, BigInt(value), true);
  return out;
}

/** NUL-separated segments as the module sends them → the dotted key tests use. */
export function pathKey(path: Uint8Array): string {
  let end = path.length;
  while (end > 0 && path[end - 1] === 0) end--; // a trailing NUL is tolerated by Envoy
  return new TextDecoder().decode(path.subarray(0, end)).split("\u0000").join(".");
}

export function hasSeparator(path: Uint8Array): boolean {
  return path.subarray(0, path.length - 1).includes(0);
}
