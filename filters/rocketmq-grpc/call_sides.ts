// The two directions of a call as the gRPC message reader sees them: each
// hands its messages to the call (stream.ts), which knows what to do with
// them; kept apart so the call reads in one sitting.
import { GrpcMessageHandler, MessageFate } from "../../assembly/common/grpc_frames";
import { RocketMQGrpcStream } from "./stream";

export class RequestSide extends GrpcMessageHandler {
  constructor(private s: RocketMQGrpcStream) {
    super();
  }

  fate(compressed: bool, size: i32): MessageFate {
    return this.s.requestFate(compressed);
  }

  onMessage(message: Uint8Array, compressed: bool, held: bool): Uint8Array | null {
    return this.s.onRequestMessage(message, held);
  }

  onOversize(size: i32): void {
    this.s.metrics.unparsed.add(["oversize"]);
  }
}

export class ResponseSide extends GrpcMessageHandler {
  constructor(private s: RocketMQGrpcStream) {
    super();
  }

  fate(compressed: bool, size: i32): MessageFate {
    return this.s.responseFate(compressed);
  }

  onMessage(message: Uint8Array, compressed: bool, held: bool): Uint8Array | null {
    return this.s.onResponseMessage(message, held);
  }

  onOversize(size: i32): void {
    this.s.metrics.unparsed.add(["oversize"]);
  }
}
