// Hostcalls for shared state, stream control and outgoing calls (see
// memory.ts for the pointer rules).
import * as abi from "./imports";
import { WasmResult, StreamType } from "./types";
import { HeaderPair, serializePairs } from "./pairs";
import { RET_PTR, RET_SIZE, RET_EXTRA, result, clearReturn, takeReturned, ptrOf, lenOf } from "./memory";

export class SharedDataResult {
  status: WasmResult = WasmResult.Ok;
  value: ArrayBuffer | null = null;
  cas: u32 = 0;
}

export class CallResult {
  status: WasmResult = WasmResult.Ok;
  token: u32 = 0;
}

export class StatusResult {
  code: u32 = 0;
  message: string = "";
}

// ---- shared data and queues

export function getSharedData(key: string): SharedDataResult {
  const k = String.UTF8.encode(key);
  const out = new SharedDataResult();
  clearReturn();
  out.status = result(abi.proxy_get_shared_data(changetype<usize>(k), k.byteLength, RET_PTR, RET_SIZE, RET_EXTRA));
  if (out.status == WasmResult.Ok) {
    out.cas = load<u32>(RET_EXTRA);
    out.value = takeReturned();
  }
  return out;
}

export function setSharedData(key: string, value: ArrayBuffer | null, cas: u32): WasmResult {
  const k = String.UTF8.encode(key);
  return result(abi.proxy_set_shared_data(changetype<usize>(k), k.byteLength, ptrOf(value), lenOf(value), cas));
}

export function registerSharedQueue(name: string): u32 {
  const n = String.UTF8.encode(name);
  clearReturn();
  result(abi.proxy_register_shared_queue(changetype<usize>(n), n.byteLength, RET_EXTRA));
  return load<u32>(RET_EXTRA);
}

export function resolveSharedQueue(vmId: string, name: string): u32 {
  const v = String.UTF8.encode(vmId);
  const n = String.UTF8.encode(name);
  clearReturn();
  result(abi.proxy_resolve_shared_queue(changetype<usize>(v), v.byteLength, changetype<usize>(n), n.byteLength, RET_EXTRA));
  return load<u32>(RET_EXTRA);
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): WasmResult {
  return result(abi.proxy_enqueue_shared_queue(queueId, changetype<usize>(value), value.byteLength));
}

export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  clearReturn();
  if (result(abi.proxy_dequeue_shared_queue(queueId, RET_PTR, RET_SIZE)) != WasmResult.Ok) return null;
  return takeReturned();
}

// ---- stream control, local responses, outgoing calls

export function continueStream(type: StreamType): WasmResult {
  return result(abi.proxy_continue_stream(<u32>type));
}

export function closeStream(type: StreamType): WasmResult {
  return result(abi.proxy_close_stream(<u32>type));
}

export function sendLocalResponse(code: u32, details: string, body: ArrayBuffer | null, headers: HeaderPair[], grpcStatus: i32): WasmResult {
  const d = String.UTF8.encode(details);
  const h = serializePairs(headers);
  return result(abi.proxy_send_local_response(code, changetype<usize>(d), d.byteLength, ptrOf(body), lenOf(body),
    changetype<usize>(h), h.byteLength, grpcStatus));
}

export function httpCall(upstream: string, headers: HeaderPair[], body: ArrayBuffer | null, trailers: HeaderPair[], timeoutMs: u32): CallResult {
  const u = String.UTF8.encode(upstream);
  const h = serializePairs(headers);
  const t = serializePairs(trailers);
  const out = new CallResult();
  clearReturn();
  out.status = result(abi.proxy_http_call(changetype<usize>(u), u.byteLength, changetype<usize>(h), h.byteLength,
    ptrOf(body), lenOf(body), changetype<usize>(t), t.byteLength, timeoutMs, RET_EXTRA));
  out.token = load<u32>(RET_EXTRA);
  return out;
}

export function grpcCall(upstream: string, service: string, method: string, metadata: HeaderPair[], message: ArrayBuffer | null, timeoutMs: u32): CallResult {
  const u = String.UTF8.encode(upstream);
  const s = String.UTF8.encode(service);
  const m = String.UTF8.encode(method);
  const md = serializePairs(metadata);
  const out = new CallResult();
  clearReturn();
  out.status = result(abi.proxy_grpc_call(changetype<usize>(u), u.byteLength, changetype<usize>(s), s.byteLength,
    changetype<usize>(m), m.byteLength, changetype<usize>(md), md.byteLength, ptrOf(message), lenOf(message), timeoutMs, RET_EXTRA));
  out.token = load<u32>(RET_EXTRA);
  return out;
}

export function grpcStream(upstream: string, service: string, method: string, metadata: HeaderPair[]): CallResult {
  const u = String.UTF8.encode(upstream);
  const s = String.UTF8.encode(service);
  const m = String.UTF8.encode(method);
  const md = serializePairs(metadata);
  const out = new CallResult();
  clearReturn();
  out.status = result(abi.proxy_grpc_stream(changetype<usize>(u), u.byteLength, changetype<usize>(s), s.byteLength,
    changetype<usize>(m), m.byteLength, changetype<usize>(md), md.byteLength, RET_EXTRA));
  out.token = load<u32>(RET_EXTRA);
  return out;
}

export function grpcSend(token: u32, message: ArrayBuffer | null, endStream: bool): WasmResult {
  return result(abi.proxy_grpc_send(token, ptrOf(message), lenOf(message), endStream ? 1 : 0));
}

export function grpcCancel(token: u32): WasmResult {
  return result(abi.proxy_grpc_cancel(token));
}

export function grpcClose(token: u32): WasmResult {
  return result(abi.proxy_grpc_close(token));
}

export function getStatus(): StatusResult {
  const out = new StatusResult();
  clearReturn();
  if (result(abi.proxy_get_status(RET_EXTRA, RET_PTR, RET_SIZE)) == WasmResult.Ok) {
    out.code = load<u32>(RET_EXTRA);
    out.message = String.UTF8.decode(takeReturned());
  }
  return out;
}

