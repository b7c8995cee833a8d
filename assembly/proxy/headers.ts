// Header maps (and gRPC metadata) by MapType. Names are matched by the host
// (Envoy: case-insensitively, HTTP/2 pseudo-headers like ":path" included).
import { MapType, WasmResult } from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";

export class HeaderMap {
  readonly type: MapType;

  constructor(type: MapType) {
    this.type = type;
  }

  // First value of `name`, or null when absent (or the map is unavailable).
  get(name: string): string | null {
    return host.getHeaderMapValue(this.type, name);
  }

  has(name: string): bool {
    return host.getHeaderMapValue(this.type, name) != null;
  }

  pairs(): HeaderPair[] {
    return host.getHeaderMapPairs(this.type);
  }

  // Adds another value; existing values of `name` stay.
  add(name: string, value: string): WasmResult {
    return host.addHeaderMapValue(this.type, name, value);
  }

  // Sets `name` to exactly this value (adding it if absent).
  replace(name: string, value: string): WasmResult {
    return host.replaceHeaderMapValue(this.type, name, value);
  }

  // Ok also when absent.
  remove(name: string): WasmResult {
    return host.removeHeaderMapValue(this.type, name);
  }

  // Replaces the whole map.
  setAll(pairs: HeaderPair[]): WasmResult {
    return host.setHeaderMapPairs(this.type, pairs);
  }
}

export const requestHeaders = new HeaderMap(MapType.HttpRequestHeaders);
export const requestTrailers = new HeaderMap(MapType.HttpRequestTrailers);
export const responseHeaders = new HeaderMap(MapType.HttpResponseHeaders);
export const responseTrailers = new HeaderMap(MapType.HttpResponseTrailers);
export const grpcInitialMetadata = new HeaderMap(MapType.GrpcReceiveInitialMetadata);
export const grpcTrailingMetadata = new HeaderMap(MapType.GrpcReceiveTrailingMetadata);
export const httpCallResponseHeaders = new HeaderMap(MapType.HttpCallResponseHeaders);
export const httpCallResponseTrailers = new HeaderMap(MapType.HttpCallResponseTrailers);
