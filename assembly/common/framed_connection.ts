// A network filter connection whose two directions are frame streams
// (frame_stream.ts): the part every protocol-aware network filter shares.
// Each read is pushed through its direction's stream and Envoy's buffer is
// rewritten only when the stream withheld or replaced bytes; the connection
// is never paused. A read is not copied out of Envoy as a whole: the stream
// fetches only the ranges it looks at (HostChunk), so the bytes of frames
// that are passed or scanned go by without entering the module, and a read
// it needs nothing of (the middle or tail of a large frame) costs no fetch.
import { FilterStatus, HostBuffer, PeerType, RootContext, StreamContext, downstreamData, log, upstreamData } from "../proxy";
import { ChunkSource, FrameStream, StreamAction } from "./frame_stream";

// When no more than this is left of a read past the first byte needed, it
// is fetched to its end at once (one host call beats several); larger reads
// range by range, on demand.
const FETCH_REST_BELOW: i32 = 4096;

// Each fetch from a large read takes at least this much, so that the many
// small ranges a frame start needs (size, header, names, first batch header)
// cost one host call.
const WINDOW: i32 = 512;

const EMPTY = new Uint8Array(0);

// One read in Envoy's buffer, fetched range by range.
class HostChunk extends ChunkSource {
  buffer: HostBuffer | null = null;
  size: i32 = 0;
  // The last fetch: bytes [windowStart, windowStart + window.length).
  private window: Uint8Array = EMPTY;
  private windowStart: i32 = 0;

  reset(buffer: HostBuffer | null, size: i32): void {
    this.buffer = buffer;
    this.size = size;
    this.window = EMPTY;
    this.windowStart = 0;
  }

  get length(): i32 {
    return this.size;
  }

  get cheap(): bool {
    return false;
  }

  range(start: i32, end: i32): Uint8Array {
    const bytes = this.bytesAt(start, end);
    return bytes.subarray(this.at, this.at + end - start);
  }

  bytesAt(start: i32, end: i32): Uint8Array {
    const n = end - start;
    const from = this.windowStart;
    if (start >= from && end <= from + this.window.length) {
      this.at = start - from;
      return this.window;
    }
    this.at = 0;
    if (n <= 0) return EMPTY;
    const rest = this.size - start;
    const fetch = rest <= FETCH_REST_BELOW ? rest : n >= WINDOW ? n : WINDOW;
    const bytes = this.buffer!.get(<u32>start, <u32>max(fetch, n));
    let view = bytes == null ? EMPTY : Uint8Array.wrap(bytes);
    if (view.length < n) {
      // The host gave less than it said it holds: never read past what came.
      const padded = new Uint8Array(n);
      padded.set(view);
      view = padded;
    }
    if (n < WINDOW || fetch == rest) {
      this.window = view;
      this.windowStart = start;
    }
    return view;
  }
}

export abstract class FramedConnection extends StreamContext {
  private closed: bool = false;
  private readonly hostChunk: HostChunk = new HostChunk();

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
    const chunk = this.hostChunk;
    chunk.reset(buffer, <i32>size);
    const action = stream.pushFrom(chunk, endOfStream);
    chunk.reset(null, 0);
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
