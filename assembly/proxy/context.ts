// What every context (root, network stream, HTTP stream) can receive and do.
// Outgoing HTTP/gRPC calls belong to the root context in Envoy; the dispatcher
// remembers which context made a call and delivers its callbacks here, on
// the context that made it, with that context made effective.
import { WasmResult } from "./types";
import * as host from "./hostcalls";
import { makeEffective } from "./registry";

export class BaseContext {
  readonly id: u32;

  constructor(id: u32) {
    this.id = id;
  }

  // Return false to keep the context alive (e.g. a call is in flight); call
  // done() later so the host can finish it.
  onDone(): bool {
    return true;
  }
  onLog(): void {}
  onDelete(): void {}

  // numHeaders == 0 means the call failed or timed out.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {}
  onGrpcReceive(token: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {}
  onGrpcClose(token: u32, statusCode: u32): void {}

  // Makes later host calls act on this context, e.g. to resume a stream from
  // a root callback such as onQueueReady.
  setEffectiveContext(): WasmResult {
    return makeEffective(this.id);
  }

  // Tells the host this context, which returned false from onDone, is done.
  done(): WasmResult {
    makeEffective(this.id);
    return host.done();
  }
}
