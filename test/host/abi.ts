// Numeric values of proxy-wasm ABI v0.2.1 (proxy-wasm/spec, abi-versions/v0.2.1)
// and the few Envoy-specific values the filters see. Kept in one place so the
// emulator and the tests speak the same names as the spec.

export const Status = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  InternalFailure: 10,
  BrokenConnection: 11, // Envoy's status for a failed proxy_http_call (proxy_get_status)
  Unimplemented: 12,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export function statusName(code: number): string {
  for (const [name, value] of Object.entries(Status)) if (value === code) return name;
  return `status ${code}`;
}

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5 } as const;
export type LogLevelName = keyof typeof LogLevel;
export const logLevelNames: LogLevelName[] = ["trace", "debug", "info", "warn", "error", "critical"];

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  DownstreamData: 2,
  UpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcCallMessage: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  ForeignFunctionArguments: 8,
} as const;
export const bufferTypeNames = [
  "HTTP_REQUEST_BODY", "HTTP_RESPONSE_BODY", "DOWNSTREAM_DATA", "UPSTREAM_DATA", "HTTP_CALL_RESPONSE_BODY",
  "GRPC_CALL_MESSAGE", "VM_CONFIGURATION", "PLUGIN_CONFIGURATION", "FOREIGN_FUNCTION_ARGUMENTS",
];

export const MapType = {
  HttpRequestHeaders: 0,
  HttpRequestTrailers: 1,
  HttpResponseHeaders: 2,
  HttpResponseTrailers: 3,
  GrpcInitialMetadata: 4,
  GrpcTrailingMetadata: 5,
  HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const mapTypeNames = [
  "HTTP_REQUEST_HEADERS", "HTTP_REQUEST_TRAILERS", "HTTP_RESPONSE_HEADERS", "HTTP_RESPONSE_TRAILERS",
  "GRPC_CALL_INITIAL_METADATA", "GRPC_CALL_TRAILING_METADATA", "HTTP_CALL_RESPONSE_HEADERS",
  "HTTP_CALL_RESPONSE_TRAILERS",
];

export const StreamType = { HttpRequest: 0, HttpResponse: 1, Downstream: 2, Upstream: 3 } as const;
export const streamTypeNames = ["HTTP_REQUEST", "HTTP_RESPONSE", "DOWNSTREAM", "UPSTREAM"];

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2 } as const;
export const metricTypeNames = ["counter", "gauge", "histogram"] as const;
export type MetricKind = (typeof metricTypeNames)[number];

export const PeerType = { Unknown: 0, Local: 1, Remote: 2 } as const;

// What the filter's return value means to Envoy (proxy-wasm-cpp-host converts
// the raw i32 into these; values above the range are clamped to "stop").
export const FilterHeadersStatus = ["continue", "stop", "continueAndEndStream", "stopAllAndBuffer", "stopAllAndWatermark"] as const;
export const FilterDataStatus = ["continue", "stopAndBuffer", "stopAndWatermark", "stopNoBuffer"] as const;

export type Pairs = [string, string][];
