// Outgoing gRPC calls and streams. Callbacks (onGrpcReceive*, onGrpcClose)
// arrive on the context that started them; the message is in
// grpcReceiveBuffer, metadata in grpcInitialMetadata / grpcTrailingMetadata.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";
import { beginReentrantCall, endReentrantCall, makeEffective, noteGrpcCallout } from "./registry";

// An unknown cluster is ParseFailure in cpp-host. The answer goes to
// `owner` (a context id), by default the context that made the call: state
// that outlives one stream (a root context's limiter) names its root, so an
// answer arriving after the stream ended still reaches it. Envoy files a
// call under the effective context and cancels it when that context is
// destroyed, so an owner's call is made with the owner effective, then the
// caller is made effective again.
export function grpcCall(cluster: string, service: string, method: string, metadata: HeaderPair[],
  message: ArrayBuffer | null, timeoutMs: u32, owner: u32 = 0): host.CallResult {
  const caller = beginReentrantCall();
  const asOwner = owner != 0 && owner != caller && makeEffective(owner) == WasmResult.Ok;
  const r = host.grpcCall(cluster, service, method, metadata, message, timeoutMs);
  if (asOwner && caller != 0) makeEffective(caller);
  endReentrantCall(caller);
  if (r.status == WasmResult.Ok) noteGrpcCallout(r.token, owner != 0 ? owner : caller);
  return r;
}

export function grpcStream(cluster: string, service: string, method: string, metadata: HeaderPair[]): host.CallResult {
  const caller = beginReentrantCall();
  const r = host.grpcStream(cluster, service, method, metadata);
  endReentrantCall(caller);
  if (r.status == WasmResult.Ok) noteGrpcCallout(r.token, caller);
  return r;
}

export function grpcSend(token: u32, message: ArrayBuffer | null, endStream: bool = false): WasmResult {
  return host.grpcSend(token, message, endStream);
}

export function grpcCancel(token: u32): WasmResult {
  return host.grpcCancel(token);
}

export function grpcClose(token: u32): WasmResult {
  return host.grpcClose(token);
}
