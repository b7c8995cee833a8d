// One client connection through the sidecar: requests flow downstream ->
// upstream, responses back. Each direction is a FrameStream; the observers
// decide per frame what to keep and look at.
import { FilterStatus, PeerType, StreamContext, downstreamData, upstreamData, HostBuffer, log } from "../../assembly/proxy";
import { FrameStream, StreamAction } from "../../assembly/common/frame_stream";
import { InflightRequests } from "./inflight";
import { RequestObserver } from "./requests";
import { ResponseObserver } from "./responses";
import { KafkaRoot } from "./root";

export class KafkaConnection extends StreamContext {
  private readonly requests: FrameStream;
  private readonly responses: FrameStream;
  private closed: bool = false;

  constructor(id: u32, root: KafkaRoot) {
    super(id, root);
    const inflight = new InflightRequests();
    const config = root.config;
    this.requests = new FrameStream(new RequestObserver(root.metrics, config, inflight, root.requestInterceptors), config.maxFrameBytes);
    this.responses = new FrameStream(new ResponseObserver(root.metrics, config, inflight, root.responseInterceptors), config.maxFrameBytes);
  }

  onNewConnection(): FilterStatus {
    (this.root as KafkaRoot).metrics.connections.add(1);
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.requests, downstreamData, dataSize, endOfStream);
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.responses, upstreamData, dataSize, endOfStream);
  }

  onDownstreamClose(peer: PeerType): void {
    if (this.closed) return;
    this.closed = true;
    (this.root as KafkaRoot).metrics.connections.add(-1);
  }

  // Never pauses (see frame_stream.ts): what may go, goes now.
  private pump(stream: FrameStream, buffer: HostBuffer, size: u32, endOfStream: bool): FilterStatus {
    if (size == 0 && !endOfStream) return FilterStatus.Continue;
    const bytes = size == 0 ? new ArrayBuffer(0) : buffer.get(0, size);
    if (bytes == null) return FilterStatus.Continue;
    const action = stream.push(Uint8Array.wrap(bytes), endOfStream);
    if (action == StreamAction.Replace) {
      const output = stream.output;
      buffer.replacePrefix(size, output.buffer.slice(output.byteOffset, output.byteOffset + output.length));
    } else if (action == StreamAction.Close) {
      log.warn("kafka filter: closing a connection whose bytes are not Kafka frames (onUnknown: close)");
      this.closeDownstream();
    }
    return FilterStatus.Continue;
  }
}
