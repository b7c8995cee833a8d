// Calls out of the filter: proxy_http_call and gRPC calls/streams. Envoy
// starts them on the root context (whichever context asked), so answers
// arrive at the root context and the SDK routes them back with
// proxy_set_effective_context. A test answers them with
// host.respondToHttpCall / failHttpCall / respondToGrpcCall.

import { Status, type Pairs } from "../abi.ts";
import { Fail } from "../errors.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { decodePairs } from "../memory.ts";

export interface PendingHttpCall {
  token: number;
  cluster: string;
  headers: Pairs;
  body: Uint8Array;
  trailers: Pairs;
  timeoutMs: number;
  /** The context that made the call (the answer still goes to the root context). */
  contextId: number;
}

export interface PendingGrpcCall {
  token: number;
  kind: "call" | "stream";
  cluster: string;
  service: string;
  method: string;
  initialMetadata: Pairs;
  /** The request message of a unary call. */
  message?: Uint8Array;
  /** Messages sent on a stream with proxy_grpc_send. */
  sent: { message: Uint8Array; endStream: boolean }[];
  timeoutMs?: number;
  contextId: number;
  /** proxy_grpc_close / proxy_grpc_cancel by the module. */
  closedByModule?: "close" | "cancel";
}

const header = (pairs: Pairs, name: string) => pairs.find(([k]) => k.toLowerCase() === name)?.[1];

export function registerCallImports(h: ProxyHost, def: DefineImport): void {
  let nextHttpToken = 1;
  // proxy-wasm-cpp-host (WasmBase::nextGrpcCallId/nextGrpcStreamId) keeps the
  // callout type in a token's low two bits: 1 for unary calls, 2 for streams.
  let nextCallToken = 1;
  let nextStreamToken = 2;

  const pairs = (data: Uint8Array, what: string): Pairs => {
    const p = decodePairs(data);
    if (typeof p === "string") throw new Fail(Status.BadArgument, `${what}: ${p}`);
    return p;
  };
  const knownCluster = (cluster: string, status: number) => {
    const clusters = h.options.clusters;
    if (clusters && !clusters.includes(cluster)) throw new Fail(status, `unknown cluster "${cluster}" (configured: ${clusters.join(", ") || "none"})`);
  };

  def(
    "env",
    "proxy_http_call",
    (clusterPtr: number, clusterLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, tPtr: number, tLen: number, timeout: number, tokenSlot: number) => {
      const cluster = h.mem.readString(clusterPtr, clusterLen, "upstream name");
      const headerData = h.mem.read(hPtr, hLen, "serialized_headers");
      const body = h.mem.read(bPtr, bLen, "body");
      const trailerData = h.mem.read(tPtr, tLen, "serialized_trailers");
      h.mem.checkSlot(tokenSlot, 4, "return_call_id");
      const headers = pairs(headerData, "headers");
      const trailers = pairs(trailerData, "trailers");
      knownCluster(cluster, Status.BadArgument);
      const missing = [":method", ":path", ":authority"].filter((k) => header(headers, k) === undefined);
      if (missing.length > 0) throw new Fail(Status.BadArgument, `headers lack ${missing.join(", ")}; Envoy requires :method, :path and :authority`);
      const token = nextHttpToken++;
      h.httpCalls.push({ token, cluster, headers, body, trailers, timeoutMs: timeout >>> 0, contextId: h.ctx().id });
      h.mem.writeU32(tokenSlot, token, "return_call_id");
      return Status.Ok;
    },
  );

  def(
    "env",
    "proxy_grpc_call",
    (cPtr: number, cLen: number, sPtr: number, sLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, msgPtr: number, msgLen: number, timeout: number, tokenSlot: number) => {
      const cluster = h.mem.readString(cPtr, cLen, "upstream name");
      const service = h.mem.readString(sPtr, sLen, "service name");
      const method = h.mem.readString(mPtr, mLen, "method name");
      const metadata = pairs(h.mem.read(mdPtr, mdLen, "initial metadata"), "initial metadata");
      const message = h.mem.read(msgPtr, msgLen, "message");
      h.mem.checkSlot(tokenSlot, 4, "return_call_id");
      knownCluster(cluster, Status.ParseFailure);
      const token = nextCallToken;
      nextCallToken += 4;
      h.grpcCalls.push({ token, kind: "call", cluster, service, method, initialMetadata: metadata, message, sent: [], timeoutMs: timeout >>> 0, contextId: h.ctx().id });
      h.mem.writeU32(tokenSlot, token, "return_call_id");
      return Status.Ok;
    },
  );

  def(
    "env",
    "proxy_grpc_stream",
    (cPtr: number, cLen: number, sPtr: number, sLen: number, mPtr: number, mLen: number, mdPtr: number, mdLen: number, tokenSlot: number) => {
      const cluster = h.mem.readString(cPtr, cLen, "upstream name");
      const service = h.mem.readString(sPtr, sLen, "service name");
      const method = h.mem.readString(mPtr, mLen, "method name");
      const metadata = pairs(h.mem.read(mdPtr, mdLen, "initial metadata"), "initial metadata");
      h.mem.checkSlot(tokenSlot, 4, "return_stream_id");
      knownCluster(cluster, Status.ParseFailure);
      const token = nextStreamToken;
      nextStreamToken += 4;
      h.grpcCalls.push({ token, kind: "stream", cluster, service, method, initialMetadata: metadata, sent: [], contextId: h.ctx().id });
      h.mem.writeU32(tokenSlot, token, "return_stream_id");
      return Status.Ok;
    },
  );

  const find = (token: number) => {
    const call = h.grpcCalls.find((c) => c.token === token >>> 0);
    if (!call) throw new Fail(Status.NotFound, `no open gRPC call or stream ${token >>> 0}`);
    return call;
  };

  def("env", "proxy_grpc_send", (token: number, ptr: number, len: number, endStream: number) => {
    const message = h.mem.read(ptr, len, "message");
    if ((token & 3) !== 2) throw new Fail(Status.BadArgument, `${token >>> 0} is not a stream id`);
    find(token).sent.push({ message, endStream: endStream !== 0 });
    return Status.Ok;
  });

  for (const [name, how] of [["proxy_grpc_cancel", "cancel"], ["proxy_grpc_close", "close"]] as const) {
    def("env", name, (token: number) => {
      const call = find(token);
      call.closedByModule = how;
      h.grpcCalls.splice(h.grpcCalls.indexOf(call), 1);
      return Status.Ok;
    });
  }

  def("env", "proxy_get_status", (codeSlot: number, ptrSlot: number, sizeSlot: number) => {
    h.mem.writeU32(codeSlot, h.root.status.code, "return_status_code");
    h.mem.give(new TextEncoder().encode(h.root.status.message), ptrSlot, sizeSlot, "status message");
    return Status.Ok;
  });
}
