// The SDK's public surface for filters. Raw host imports stay in imports.ts;
// the proxy_on_* exports come from exports.ts. A filter entry file:
//   import { RootContext, StreamContext, registerRootContext } from "../../assembly/proxy";
//   export * from "../../assembly/proxy/exports";
//   class Root extends RootContext {
//     createStreamContext(id: u32): StreamContext | null { return new MyStream(id, this); }
//   }
//   registerRootContext((id: u32): RootContext => new Root(id));
import "./abort"; // asconfig routes abort() here; it must be in the program
export * from "./types";
export { HeaderPair } from "./pairs";
export { BaseContext } from "./context";
export { RootContext } from "./root_context";
export { StreamContext } from "./stream_context";
export { HttpContext } from "./http_context";
export { registerRootContext, currentContextId, makeEffective } from "./registry";
export { HostBuffer, requestBody, responseBody, downstreamData, upstreamData, httpCallResponseBody,
  grpcReceiveBuffer, vmConfiguration, pluginConfiguration, foreignFunctionArguments } from "./buffer";
export { HeaderMap, requestHeaders, requestTrailers, responseHeaders, responseTrailers, grpcInitialMetadata,
  grpcTrailingMetadata, httpCallResponseHeaders, httpCallResponseTrailers } from "./headers";
export { getProperty, getPropertyString, getPropertyInt, setProperty, setPropertyString } from "./properties";
export { SharedDataResult, getSharedData, setSharedData, setSharedString } from "./shared_data";
export { SharedQueue } from "./shared_queue";
export { Counter, Gauge, Histogram, flushCounters } from "./metrics";
export { log } from "./log";
export { CallResult, httpCall, getCallStatus } from "./http_call";
export { grpcCall, grpcStream, grpcSend, grpcCancel, grpcClose } from "./grpc_call";
export { lastStatus, getCurrentTimeNanoseconds, getMonotonicTimeNanoseconds, getRandomBytes } from "./hostcalls";
