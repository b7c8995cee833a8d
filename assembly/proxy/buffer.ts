// Byte buffers the host holds (bodies, connection data, call responses,
// configuration). Writing offers exactly what Envoy implements: replace a
// prefix (which covers prepend and replace-all) or append. Any other range is
// BAD_ARGUMENT in Envoy, so it is not offered.
import { BufferType, WasmResult } from "./types";
import * as host from "./hostcalls";

export class HostBuffer {
  readonly type: BufferType;

  constructor(type: BufferType) {
    this.type = type;
  }

  // Current size; 0 also when the buffer is not available in this callback.
  size(): u32 {
    return host.getBufferSize(this.type);
  }

  // Up to maxSize bytes from start; null when unavailable (see lastStatus()).
  get(start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): ArrayBuffer | null {
    return host.getBufferBytes(this.type, start, maxSize);
  }

  // Up to maxSize bytes (at most into.length) from start into `into`, from
  // its first byte, without allocating: the host writes them there. The
  // count, or -1 when unavailable.
  readInto(start: u32, maxSize: u32, into: Uint8Array): i32 {
    return host.getBufferBytesInto(this.type, start, maxSize, into);
  }

  // The whole buffer, empty when unavailable.
  getAll(): ArrayBuffer {
    const size = this.size();
    if (size == 0) return new ArrayBuffer(0);
    const data = host.getBufferBytes(this.type, 0, size);
    return data == null ? new ArrayBuffer(0) : data;
  }

  getText(start: u32 = 0, maxSize: u32 = u32.MAX_VALUE): string {
    const data = this.get(start, maxSize);
    return data == null ? "" : String.UTF8.decode(data);
  }

  // Drops the first `length` bytes and puts `value` in their place.
  replacePrefix(length: u32, value: ArrayBuffer): WasmResult {
    return host.setBufferBytes(this.type, 0, length, value);
  }

  prepend(value: ArrayBuffer): WasmResult {
    return host.setBufferBytes(this.type, 0, 0, value);
  }

  replaceAll(value: ArrayBuffer): WasmResult {
    return host.setBufferBytes(this.type, 0, this.size(), value);
  }

  // A start at or past the end means append in Envoy.
  append(value: ArrayBuffer): WasmResult {
    return host.setBufferBytes(this.type, u32.MAX_VALUE, 0, value);
  }
}

export const requestBody = new HostBuffer(BufferType.HttpRequestBody);
export const responseBody = new HostBuffer(BufferType.HttpResponseBody);
export const downstreamData = new HostBuffer(BufferType.DownstreamData);
export const upstreamData = new HostBuffer(BufferType.UpstreamData);
export const httpCallResponseBody = new HostBuffer(BufferType.HttpCallResponseBody);
export const grpcReceiveBuffer = new HostBuffer(BufferType.GrpcReceiveBuffer);
export const vmConfiguration = new HostBuffer(BufferType.VmConfiguration);
export const pluginConfiguration = new HostBuffer(BufferType.PluginConfiguration);
export const foreignFunctionArguments = new HostBuffer(BufferType.ForeignFunctionArguments);
