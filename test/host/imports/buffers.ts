// Buffers (bodies, connection data, configurations, call responses) and
// header maps. Which ones a context can reach follows Envoy's getBuffer /
// getMap; the write rules follow Envoy's Buffer::copyFrom.

import { BufferType, MapType, Status, bufferTypeNames, mapTypeNames, type Pairs } from "../abi.ts";
import { Connection, type BufferSlot } from "../connection.ts";
import { Fail } from "../errors.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { HttpStream } from "../http-stream.ts";
import { concatBytes, decodePairs, encodePairs, toBytes } from "../memory.ts";
import { describeContext } from "./describe.ts";

function readOnly(bytes: Uint8Array): BufferSlot {
  return { get: () => bytes };
}

function bufferSlot(h: ProxyHost, type: number): BufferSlot {
  if (type >>> 0 > BufferType.ForeignFunctionArguments) throw new Fail(Status.BadArgument, `buffer type ${type >>> 0} is not one of 0..8`);
  const name = bufferTypeNames[type];
  const ctx = h.ctx();
  const root = h.root;
  let slot: BufferSlot | string;
  switch (type) {
    case BufferType.VmConfiguration:
      slot = readOnly(toBytes(h.options.vmConfig ?? ""));
      break;
    case BufferType.PluginConfiguration:
      slot = root.configuring ? readOnly(toBytes(h.options.pluginConfig ?? "")) : "PLUGIN_CONFIGURATION is only readable in proxy_on_configure";
      break;
    case BufferType.HttpCallResponseBody:
      slot = root.httpCallResponse ? readOnly(root.httpCallResponse.body) : "HTTP_CALL_RESPONSE_BODY is only readable in proxy_on_http_call_response";
      break;
    case BufferType.GrpcCallMessage:
      slot = root.grpcMessage ? readOnly(root.grpcMessage) : "GRPC_CALL_MESSAGE is only readable in proxy_on_grpc_receive";
      break;
    case BufferType.DownstreamData:
    case BufferType.UpstreamData:
      slot = ctx instanceof Connection ? ctx.buffer(type === BufferType.DownstreamData ? "downstream" : "upstream") : `${name} exists only in network contexts, not in ${describeContext(ctx)}`;
      break;
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody:
      slot = ctx instanceof HttpStream ? ctx.buffer(type === BufferType.HttpRequestBody ? "request" : "response") : `${name} exists only in HTTP contexts, not in ${describeContext(ctx)}`;
      break;
    default:
      slot = `${name} is not supported by this host`;
  }
  if (typeof slot === "string") throw new Fail(Status.NotFound, slot);
  return slot;
}

interface MapAccess {
  get(): Pairs;
  set?(pairs: Pairs): void;
}

function mapSlot(h: ProxyHost, type: number): MapAccess {
  if (type >>> 0 > MapType.HttpCallResponseTrailers) throw new Fail(Status.BadArgument, `map type ${type >>> 0} is not one of 0..7`);
  const name = mapTypeNames[type];
  const ctx = h.ctx();
  const root = h.root;
  const ro = (pairs: Pairs | undefined, cb: string): MapAccess => {
    if (!pairs) throw new Fail(Status.BadArgument, `${name} is only readable in ${cb}`);
    return { get: () => pairs };
  };
  switch (type) {
    case MapType.GrpcInitialMetadata:
      return ro(root.grpcInitialMetadata, "proxy_on_grpc_receive_initial_metadata");
    case MapType.GrpcTrailingMetadata:
      return ro(root.grpcTrailingMetadata, "proxy_on_grpc_receive_trailing_metadata");
    case MapType.HttpCallResponseHeaders:
      return ro(root.httpCallResponse?.headers, "proxy_on_http_call_response");
    case MapType.HttpCallResponseTrailers:
      return ro(root.httpCallResponse?.trailers, "proxy_on_http_call_response");
  }
  if (!(ctx instanceof HttpStream)) throw new Fail(Status.BadArgument, `${name}: header maps exist only in HTTP contexts, not in ${describeContext(ctx)}`);
  const which = (["requestHeaders", "requestTrailers", "responseHeaders", "responseTrailers"] as const)[type];
  const slot = ctx.map(which);
  if (typeof slot === "string") throw new Fail(Status.BadArgument, slot);
  return slot;
}

function writable(map: MapAccess, type: number): (pairs: Pairs) => void {
  if (!map.set) throw new Fail(Status.BadArgument, `${mapTypeNames[type]} is read-only`);
  return map.set;
}

export function registerBufferImports(h: ProxyHost, def: DefineImport): void {
  def("env", "proxy_get_buffer_bytes", (type: number, start: number, maxSize: number, ptrSlot: number, sizeSlot: number) => {
    const slot = bufferSlot(h, type);
    const s = start >>> 0;
    const n = maxSize >>> 0;
    if (s + n > 0xffffffff) throw new Fail(Status.BadArgument, `start ${s} + max_size ${n} overflows size_t`);
    const bytes = slot.get();
    h.mem.give(bytes.subarray(Math.min(s, bytes.length), Math.min(s + n, bytes.length)), ptrSlot, sizeSlot, bufferTypeNames[type]);
    return Status.Ok;
  });

  def("env", "proxy_get_buffer_status", (type: number, sizeSlot: number, flagsSlot: number) => {
    const slot = bufferSlot(h, type);
    h.mem.writeU32(sizeSlot, slot.get().length, "return_buffer_size");
    h.mem.writeU32(flagsSlot, 0, "return_unused");
    return Status.Ok;
  });

  // Envoy's Buffer::copyFrom: start 0 drains `size` bytes then prepends the
  // data (size 0 = prepend, size >= length = replace all); start at or past
  // the end appends; any other range is BAD_ARGUMENT.
  def("env", "proxy_set_buffer_bytes", (type: number, start: number, size: number, dataPtr: number, dataLen: number) => {
    const slot = bufferSlot(h, type);
    const data = h.mem.read(dataPtr, dataLen, "value");
    if (!slot.set) throw new Fail(Status.BadArgument, `${bufferTypeNames[type]} is read-only`);
    const current = slot.get();
    const s = start >>> 0;
    if (s === 0) {
      slot.set(concatBytes(data, current.subarray(Math.min(size >>> 0, current.length))));
    } else if (s >= current.length) {
      slot.set(concatBytes(current, data));
    } else {
      throw new Fail(
        Status.BadArgument,
        `${bufferTypeNames[type]} range start=${s} size=${size >>> 0} of a ${current.length}-byte buffer: Envoy only replaces from offset 0 or appends at the end`,
      );
    }
    return Status.Ok;
  });

  def("env", "proxy_get_header_map_size", (type: number, sizeSlot: number) => {
    const pairs = mapSlot(h, type).get();
    h.mem.writeU32(sizeSlot, pairs.reduce((n, [k, v]) => n + toBytes(k).length + toBytes(v).length, 0), "return_size");
    return Status.Ok;
  });

  def("env", "proxy_get_header_map_pairs", (type: number, ptrSlot: number, sizeSlot: number) => {
    h.mem.give(encodePairs(mapSlot(h, type).get()), ptrSlot, sizeSlot, mapTypeNames[type]);
    return Status.Ok;
  });

  def("env", "proxy_set_header_map_pairs", (type: number, ptr: number, len: number) => {
    const map = mapSlot(h, type);
    const data = h.mem.read(ptr, len, "serialized_pairs");
    const set = writable(map, type);
    const pairs = decodePairs(data);
    if (typeof pairs === "string") throw new Fail(Status.BadArgument, pairs);
    set(pairs.map(([k, v]) => [k.toLowerCase(), v]));
    return Status.Ok;
  });

  // Envoy returns the first value when a header repeats.
  def("env", "proxy_get_header_map_value", (type: number, keyPtr: number, keyLen: number, ptrSlot: number, sizeSlot: number) => {
    const map = mapSlot(h, type);
    const key = h.mem.readString(keyPtr, keyLen, "key").toLowerCase();
    const found = map.get().find(([k]) => k === key);
    if (!found) return Status.NotFound;
    h.mem.give(toBytes(found[1]), ptrSlot, sizeSlot, "header value");
    return Status.Ok;
  });

  def("env", "proxy_add_header_map_value", (type: number, keyPtr: number, keyLen: number, valuePtr: number, valueLen: number) => {
    const map = mapSlot(h, type);
    const key = h.mem.readString(keyPtr, keyLen, "key").toLowerCase();
    const value = h.mem.readString(valuePtr, valueLen, "value");
    writable(map, type)([...map.get(), [key, value]]);
    return Status.Ok;
  });

  // setCopy: the first entry takes the value, later duplicates go; absent keys are added.
  def("env", "proxy_replace_header_map_value", (type: number, keyPtr: number, keyLen: number, valuePtr: number, valueLen: number) => {
    const map = mapSlot(h, type);
    const key = h.mem.readString(keyPtr, keyLen, "key").toLowerCase();
    const value = h.mem.readString(valuePtr, valueLen, "value");
    const set = writable(map, type);
    const pairs = map.get();
    const first = pairs.findIndex(([k]) => k === key);
    if (first < 0) set([...pairs, [key, value]]);
    else set(pairs.flatMap(([k, v], i): Pairs => (i === first ? [[k, value]] : k === key ? [] : [[k, v]])));
    return Status.Ok;
  });

  def("env", "proxy_remove_header_map_value", (type: number, keyPtr: number, keyLen: number) => {
    const map = mapSlot(h, type);
    const key = h.mem.readString(keyPtr, keyLen, "key").toLowerCase();
    const set = writable(map, type);
    set(map.get().filter(([k]) => k !== key));
    return Status.Ok;
  });
}
