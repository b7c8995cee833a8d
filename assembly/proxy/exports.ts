// The proxy_on_* entry points of ABI v0.2.1. A filter's entry file does
//   export * from "../../assembly/proxy/exports";
// and calls registerRootContext(...) at top level.
//
// Each callback records the context id the host made current, finds the
// context object and calls it; an unknown id is ignored (the safe default of
// each callback is returned), never a trap.
//
// Not exported: proxy_on_request_metadata / proxy_on_response_metadata and
// proxy_validate_configuration are looked up by cpp-host but are not part of
// ABI 0.2.1 and Envoy does not need them; malloc is the deprecated alias of
// proxy_on_memory_allocate.
// The abort handler named in asconfig must be part of every program.
import "./abort";
import { BufferType, FilterDataStatus, FilterHeadersStatus, FilterStatus, FilterTrailersStatus, PeerType } from "./types";
import * as host from "./hostcalls";
import {
  enter, createContext, rootContext, streamContext, httpContext, anyContext, forget,
  httpCalloutOwner, grpcCalloutOwner, makeEffective,
} from "./registry";
import { BaseContext } from "./context";
import { callbackEnded, callbackStarted, hostBlockAllocated } from "./collector";
import { allocateInto } from "./memory";

export function proxy_abi_version_0_2_1(): void {}

// Host-written result blocks come from here: memory a HostBuffer.readInto
// caller armed, or else a managed ArrayBuffer, pinned so the GC keeps it
// until memory.ts takeReturned() hands it over. The bytes the host writes
// are then used in place instead of being copied once more.
export function proxy_on_memory_allocate(size: usize): usize {
  const into = allocateInto(size);
  if (into != 0) return into;
  hostBlockAllocated(size);
  return __pin(__new(size, idof<ArrayBuffer>()));
}

// Every other callback starts here and ends through callbackEnded, which may
// collect garbage once the outermost one is over (collector.ts).
function begin(contextId: u32): void {
  callbackStarted();
  enter(contextId);
}

function readConfig(type: BufferType, size: u32): string {
  if (size == 0) return "";
  const data = host.getBufferBytes(type, 0, size);
  return data == null ? "" : String.UTF8.decode(data);
}

// ---- lifecycle

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  begin(contextId);
  createContext(contextId, parentId);
  callbackEnded(0);
}

export function proxy_on_vm_start(rootId: u32, vmConfigSize: u32): u32 {
  begin(rootId);
  const root = rootContext(rootId);
  if (root == null) return callbackEnded<u32>(1);
  return callbackEnded<u32>(root.onVmStart(readConfig(BufferType.VmConfiguration, vmConfigSize)) ? 1 : 0);
}

export function proxy_on_configure(rootId: u32, configSize: u32): u32 {
  begin(rootId);
  const root = rootContext(rootId);
  if (root == null) return callbackEnded<u32>(1);
  return callbackEnded<u32>(root.onConfigure(readConfig(BufferType.PluginConfiguration, configSize)) ? 1 : 0);
}

export function proxy_on_tick(rootId: u32): void {
  begin(rootId);
  const root = rootContext(rootId);
  if (root != null) root.onTick();
  callbackEnded(0);
}

export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {
  begin(rootId);
  const root = rootContext(rootId);
  if (root != null) root.onQueueReady(queueId);
  callbackEnded(0);
}

export function proxy_on_foreign_function(rootId: u32, functionId: u32, argumentsSize: u32): void {
  begin(rootId);
  const root = rootContext(rootId);
  if (root != null) root.onForeignFunction(functionId, argumentsSize);
  callbackEnded(0);
}

export function proxy_on_done(contextId: u32): u32 {
  begin(contextId);
  const ctx = anyContext(contextId);
  return callbackEnded<u32>(ctx == null || ctx.onDone() ? 1 : 0);
}

export function proxy_on_log(contextId: u32): void {
  begin(contextId);
  const ctx = anyContext(contextId);
  if (ctx != null) ctx.onLog();
  callbackEnded(0);
}

export function proxy_on_delete(contextId: u32): void {
  begin(contextId);
  const ctx = anyContext(contextId);
  if (ctx != null) ctx.onDelete();
  forget(contextId);
  callbackEnded(0);
}

// ---- network streams

export function proxy_on_new_connection(contextId: u32): u32 {
  begin(contextId);
  const ctx = streamContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterStatus.Continue : ctx.onNewConnection());
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = streamContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterStatus.Continue : ctx.onDownstreamData(dataSize, endOfStream != 0));
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = streamContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterStatus.Continue : ctx.onUpstreamData(dataSize, endOfStream != 0));
}

export function proxy_on_downstream_connection_close(contextId: u32, peer: u32): void {
  begin(contextId);
  const ctx = streamContext(contextId);
  if (ctx != null) ctx.onDownstreamClose(<PeerType>peer);
  callbackEnded(0);
}

export function proxy_on_upstream_connection_close(contextId: u32, peer: u32): void {
  begin(contextId);
  const ctx = streamContext(contextId);
  if (ctx != null) ctx.onUpstreamClose(<PeerType>peer);
  callbackEnded(0);
}

// ---- HTTP streams

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterHeadersStatus.Continue : ctx.onRequestHeaders(numHeaders, endOfStream != 0));
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterDataStatus.Continue : ctx.onRequestBody(bodySize, endOfStream != 0));
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterTrailersStatus.Continue : ctx.onRequestTrailers(numTrailers));
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterHeadersStatus.Continue : ctx.onResponseHeaders(numHeaders, endOfStream != 0));
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterDataStatus.Continue : ctx.onResponseBody(bodySize, endOfStream != 0));
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  begin(contextId);
  const ctx = httpContext(contextId);
  return callbackEnded<u32>(ctx == null ? FilterTrailersStatus.Continue : ctx.onResponseTrailers(numTrailers));
}

// ---- outgoing calls: the host reports them to the root; hand them on

function calloutTarget(owner: u32): BaseContext | null {
  const ctx = anyContext(owner);
  if (ctx != null) makeEffective(owner);
  return ctx;
}

export function proxy_on_http_call_response(rootId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  begin(rootId);
  const ctx = calloutTarget(httpCalloutOwner(token, rootId, true));
  if (ctx != null) ctx.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  callbackEnded(0);
}

export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, numElements: u32): void {
  begin(rootId);
  const ctx = calloutTarget(grpcCalloutOwner(token, rootId, false));
  if (ctx != null) ctx.onGrpcReceiveInitialMetadata(token, numElements);
  callbackEnded(0);
}

export function proxy_on_grpc_receive(rootId: u32, token: u32, messageSize: u32): void {
  begin(rootId);
  // A unary call that succeeded ends here: Envoy sends no proxy_on_grpc_close
  // after its message, so its entry goes now. proxy-wasm-cpp-host numbers
  // callouts by type in the low two bits: 0 HTTP, 1 gRPC call, 2 gRPC stream.
  const ctx = calloutTarget(grpcCalloutOwner(token, rootId, (token & 3) == 1));
  if (ctx != null) ctx.onGrpcReceive(token, messageSize);
  callbackEnded(0);
}

export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, numElements: u32): void {
  begin(rootId);
  const ctx = calloutTarget(grpcCalloutOwner(token, rootId, false));
  if (ctx != null) ctx.onGrpcReceiveTrailingMetadata(token, numElements);
  callbackEnded(0);
}

export function proxy_on_grpc_close(rootId: u32, token: u32, statusCode: u32): void {
  begin(rootId);
  const ctx = calloutTarget(grpcCalloutOwner(token, rootId, true));
  if (ctx != null) ctx.onGrpcClose(token, statusCode);
  callbackEnded(0);
}
