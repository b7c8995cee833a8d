// One client connection through the sidecar: bytes from the client flow
// downstream -> upstream, bytes from the server back. Each direction is a
// FrameStream (never pauses) whose handler peeks every frame.
import { FilterStatus, PeerType, StreamContext, downstreamData, upstreamData, HostBuffer, log } from "../../assembly/proxy";
import { FrameStream, StreamAction } from "../../assembly/common/frame_stream";
import { DirectionObserver } from "./direction";
import { InflightRequests } from "./inflight";
import { RocketMQRoot } from "./root";

export class RocketMQConnection extends StreamContext {
  private readonly fromClient: FrameStream;
  private readonly fromServer: FrameStream;
  private closed: bool = false;

  constructor(id: u32, root: RocketMQRoot) {
    super(id, root);
    const config = root.config;
    const clientRequests = new InflightRequests(config.maxInflight);
    const serverRequests = new InflightRequests(config.maxInflight);
    this.fromClient = new FrameStream(new DirectionObserver(root.metrics, config, true, clientRequests, serverRequests), config.maxFrameBytes);
    this.fromServer = new FrameStream(new DirectionObserver(root.metrics, config, false, serverRequests, clientRequests), config.maxFrameBytes);
  }

  onNewConnection(): FilterStatus {
    (this.root as RocketMQRoot).metrics.connections.add(1);
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.fromClient, downstreamData, dataSize, endOfStream);
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.fromServer, upstreamData, dataSize, endOfStream);
  }

  onDownstreamClose(peer: PeerType): void {
    if (this.closed) return;
    this.closed = true;
    (this.root as RocketMQRoot).metrics.connections.add(-1);
  }

  private pump(stream: FrameStream, buffer: HostBuffer, size: u32, endOfStream: bool): FilterStatus {
    if (size == 0 && !endOfStream) return FilterStatus.Continue;
    const bytes = size == 0 ? new ArrayBuffer(0) : buffer.get(0, size);
    if (bytes == null) return FilterStatus.Continue;
    const action = stream.push(Uint8Array.wrap(bytes), endOfStream);
    if (action == StreamAction.Replace) {
      const output = stream.output;
      buffer.replacePrefix(size, output.buffer.slice(output.byteOffset, output.byteOffset + output.length));
    } else if (action == StreamAction.Close) {
      log.warn("rocketmq filter: closing a connection whose bytes are not remoting frames (onUnknown: close)");
      this.closeDownstream();
    }
    return FilterStatus.Continue;
  }
}
