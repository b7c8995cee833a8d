// Continuing, closing and answering streams. Envoy defers all of them until
// the VM call returns; so does the emulator.

import { Status, StreamType, streamTypeNames } from "../abi.ts";
import { Connection } from "../connection.ts";
import { Fail } from "../errors.ts";
import type { DefineImport, ProxyHost } from "../host.ts";
import { HttpStream } from "../http-stream.ts";
import { decodePairs } from "../memory.ts";
import { describeContext } from "./describe.ts";

export function registerStreamImports(h: ProxyHost, def: DefineImport): void {
  def("env", "proxy_continue_stream", (type: number) => {
    if (type >>> 0 > StreamType.Upstream) throw new Fail(Status.BadArgument, `stream type ${type >>> 0} is not one of 0..3`);
    if (type === StreamType.Upstream) {
      throw new Fail(Status.Unimplemented, "Envoy cannot resume the UPSTREAM direction of a network filter; never pause upstream data expecting to resume it");
    }
    const ctx = h.ctx();
    if (type === StreamType.Downstream) {
      if (!(ctx instanceof Connection)) throw new Fail(Status.Ok, `DOWNSTREAM: ${describeContext(ctx)} has no connection; Envoy ignores the call`);
      h.defer(() => ctx.downstreamPaused && ctx.releaseDownstream());
      return Status.Ok;
    }
    if (!(ctx instanceof HttpStream)) throw new Fail(Status.Ok, `${streamTypeNames[type]}: ${describeContext(ctx)} is not an HTTP stream; Envoy ignores the call`);
    h.defer(() => (type === StreamType.HttpRequest ? ctx.continueRequest() : ctx.continueResponse()));
    return Status.Ok;
  });

  def("env", "proxy_close_stream", (type: number) => {
    if (type >>> 0 > StreamType.Upstream) throw new Fail(Status.BadArgument, `stream type ${type >>> 0} is not one of 0..3`);
    const ctx = h.ctx();
    if (type === StreamType.Downstream || type === StreamType.Upstream) {
      if (!(ctx instanceof Connection)) throw new Fail(Status.Ok, `${streamTypeNames[type]}: ${describeContext(ctx)} has no connection; Envoy ignores the call`);
      h.defer(() => ctx.closeByFilter(type === StreamType.Downstream ? "downstream" : "upstream"));
      return Status.Ok;
    }
    if (!(ctx instanceof HttpStream)) throw new Fail(Status.Ok, `${streamTypeNames[type]}: ${describeContext(ctx)} is not an HTTP stream; Envoy ignores the call`);
    h.defer(() => ctx.resetStream(type === StreamType.HttpRequest ? "request" : "response"));
    return Status.Ok;
  });

  def(
    "env",
    "proxy_send_local_response",
    (status: number, detailsPtr: number, detailsLen: number, bodyPtr: number, bodyLen: number, headersPtr: number, headersLen: number, grpcStatus: number) => {
      const details = h.mem.readString(detailsPtr, detailsLen, "status_code_details");
      const body = h.mem.read(bodyPtr, bodyLen, "body");
      const headers = decodePairs(h.mem.read(headersPtr, headersLen, "serialized_headers"));
      const ctx = h.ctx();
      // Envoy answers OK but does nothing outside an HTTP stream.
      if (!(ctx instanceof HttpStream)) throw new Fail(Status.Ok, `only HTTP streams can send a local response; Envoy ignores it in ${describeContext(ctx)}`);
      if (typeof headers === "string") throw new Fail(Status.Ok, `${headers}; Envoy would send the reply without extra headers`);
      const grpc = grpcStatus >>> 0;
      const problem = ctx.sendLocalReply({
        status: status >>> 0,
        body: new TextDecoder().decode(body),
        bodyBytes: body,
        headers,
        details,
        grpcStatus: grpc <= 16 ? grpc : undefined, // SDKs pass -1 for "no gRPC status"
      });
      if (problem) throw new Fail(Status.Ok, problem);
      h.stopNextIteration = true;
      return Status.Ok;
    },
  );

  def("env", "proxy_clear_route_cache", () => Status.Ok);
}
