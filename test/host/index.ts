// The proxy-wasm host emulator: see host.ts for the overview.
export { ProxyHost, type HostOptions, type LogEntry } from "./host.ts";
export { Connection, type ConnectionOptions, type NetworkAction } from "./connection.ts";
export { HttpStream, type HttpStreamOptions, type LocalResponse, type HeadersAction, type DataAction } from "./http-stream.ts";
export { HostCallError, HostCallErrors, ModuleTrap } from "./errors.ts";
export { SharedState } from "./shared.ts";
export type { PendingHttpCall, PendingGrpcCall } from "./imports/calls.ts";
export { Status, LogLevel, BufferType, MapType, StreamType, MetricType, type Pairs } from "./abi.ts";
export { encodePairs, decodePairs } from "./memory.ts";
