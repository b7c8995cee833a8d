// A network filter connection whose two directions are frame streams
// (frame_stream.ts): the part every protocol-aware network filter shares.
// Each read is pushed through its direction's stream and Envoy's buffer is
// rewritten only when the stream withheld or replaced bytes; the connection
// is never paused.
import { FilterStatus, HostBuffer, PeerType, RootContext, StreamContext, downstreamData, log, upstreamData } from "../proxy";
import { FrameStream, StreamAction } from "./frame_stream";

export abstract class FramedConnection extends StreamContext {
  private closed: bool = false;

  constructor(id: u32, root: RootContext, private readonly protocol: string) {
    super(id, root);
  }

  // Bytes from the client, and from the server.
  protected abstract clientFrames(): FrameStream;
  protected abstract serverFrames(): FrameStream;
  // Once per connection, at open and at close (for connection gauges).
  protected onOpened(): void {}
  protected onClosed(): void {}

  onNewConnection(): FilterStatus {
    this.onOpened();
    return FilterStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.clientFrames(), downstreamData, dataSize, endOfStream);
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.serverFrames(), upstreamData, dataSize, endOfStream);
  }

  onDownstreamClose(peer: PeerType): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
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
      log.warn(this.protocol + " filter: closing a connection whose bytes it cannot follow (onUnknown: close)");
      this.closeDownstream();
    }
    return FilterStatus.Continue;
  }
}
