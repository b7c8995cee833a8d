// A Wasm network filter that follows Kafka's framing in both directions and
// looks at the first bytes of each frame, and does nothing else: no metrics,
// no request/response matching, no produce scan. In bench:kafka (case
// frames) it measures what any frame-aware filter pays over the no-op one:
// a buffer fetch for each read that holds a frame start, each fetch being
// two crossings (proxy_get_buffer_bytes and Envoy's call into
// proxy_on_memory_allocate).
import { FramedConnection } from "../../assembly/common/framed_connection";
import { FrameFate, FrameHandler, FrameStream } from "../../assembly/common/frame_stream";
import { RootContext, StreamContext, registerRootContext } from "../../assembly/proxy";
export * from "../../assembly/proxy/exports";

// Request header: api key, version, correlation id; response: correlation id.
const HEADER: i32 = 8;

class FirstBytes extends FrameHandler {
  // Folded from what was read, so that the read cannot be optimized away.
  checksum: i32 = 0;

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    const want = min(HEADER, frameSize);
    if (head.length < want) return FrameFate.NeedMore;
    for (let i = 0; i < want; i++) this.checksum = this.checksum * 31 + head[i];
    return FrameFate.Pass;
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    return null;
  }

  onDesync(size: i32): bool {
    return false;
  }
}

class FramesOnly extends FramedConnection {
  private readonly requests: FrameStream = new FrameStream(new FirstBytes(), i32.MAX_VALUE);
  private readonly responses: FrameStream = new FrameStream(new FirstBytes(), i32.MAX_VALUE);

  constructor(id: u32, root: RootContext) {
    super(id, root, "frames");
  }

  protected clientFrames(): FrameStream {
    return this.requests;
  }

  protected serverFrames(): FrameStream {
    return this.responses;
  }
}

class FramesRoot extends RootContext {
  createStreamContext(id: u32): StreamContext | null {
    return new FramesOnly(id, this);
  }
}

registerRootContext((id: u32): RootContext => new FramesRoot(id));
