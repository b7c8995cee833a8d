// One direction of a connection carrying frames that start with a 4-byte
// big-endian length which does not count itself (Kafka and RocketMQ remoting
// both frame this way).
//
// Why it never pauses: Envoy holds a paused network filter's bytes in the
// connection's read buffer, and a frame larger than that buffer's limit would
// then stall the connection for good; the upstream direction cannot even be
// resumed (proxy_continue_stream(UPSTREAM) is unimplemented). (A muted client
// is paused by framed_connection.ts before its bytes reach a stream, so no
// byte a stream has seen waits in a paused buffer.) Instead each
// callback forwards everything it may, and only the bytes of a frame that
// might be rewritten are taken out of Envoy's buffer and kept here until the
// frame is complete. Envoy lets a filter replace its buffer from offset 0, so
// withholding is "replace the buffer with what may go now".
//
// The handler decides each frame's fate from its first bytes:
//   Pass     forward as it arrives, keep nothing (cheapest)
//   Observe  forward as it arrives, and keep a copy to look at once complete
//   Hold     withhold until complete; the handler may then replace it
//   NeedMore withhold the bytes so far and ask again when more arrive
//   Close    the stream cannot continue (the caller closes the connection)
//   Scan     forward as it arrives and show it, in order and without keeping
//            it, to the handler's FrameScanner, which asks only for the bytes
//            it needs and lets the rest go by unseen
// Frames larger than maxFrame are never kept: Hold, Observe and Scan become Pass.
//
// Reads come as a ChunkSource: the stream asks it only for the ranges it must
// look at or rebuild, so a source over the host's buffer (framed_connection.ts)
// never copies the bytes of Pass and Scan frames nobody looks at.
import { BytesWriter } from "./bytes_writer";
import { ArraySource, ChunkSource, FrameFate, FrameHandler, FrameScanner } from "./frame_handler";

// The handler's side (fates, handler, scanner, sources) is frame_handler.ts.
export { ArraySource, ChunkSource, FrameFate, FrameHandler, FrameScanner };

export const SIZE_PREFIX: i32 = 4;

export enum StreamAction {
  // Envoy's buffer goes on unchanged.
  Forward = 0,
  // Envoy's buffer must be replaced with FrameStream.output before going on.
  Replace = 1,
  // The connection must be closed.
  Close = 2,
}

// First look a handler gets at a frame in an expensive source; doubled while
// it answers NeedMore and more has arrived.
const PEEK: i32 = 256;

const enum Phase {
  Prefix, // at a frame boundary, or reading a size prefix split across reads
  Deciding, // size known, the handler wants more bytes before deciding
  Passing, // forwarding the rest of the frame
  Holding, // withholding the rest of the frame
  Desynced, // the stream can no longer be followed: pass everything
}

export class FrameStream {
  // With StreamAction.Replace: what Envoy's buffer must hold instead.
  output: Uint8Array = new Uint8Array(0);
  framesSeen: u64 = 0;
  oversizeFrames: u64 = 0;

  private phase: Phase = Phase.Prefix;
  private frameSize: i32 = 0;
  private remaining: i32 = 0; // bytes of the current frame not yet seen
  private fate: FrameFate = FrameFate.Pass;
  // The current frame, size prefix included, while it is withheld (Prefix,
  // Deciding, Holding) or observed (Passing with Observe).
  private kept: BytesWriter = new BytesWriter();
  // The output of this callback, built only once it differs from the input:
  // until then cleanEnd says how much of the chunk goes out unchanged.
  private out: BytesWriter = new BytesWriter();
  private changed: bool = false;
  private cleanEnd: i32 = 0;
  private src: ChunkSource = new ArraySource(new Uint8Array(0));
  private arraySource: ArraySource = new ArraySource(new Uint8Array(0));
  private keptSource: ArraySource = new ArraySource(new Uint8Array(0));
  // The scanner of the current Scan frame, and the bytes of a want split
  // across reads.
  private scanning: FrameScanner | null = null;
  private staged: BytesWriter = new BytesWriter();

  constructor(private handler: FrameHandler, private maxFrame: i32) {}

  get desynced(): bool {
    return this.phase == Phase.Desynced;
  }

  // Bytes this stream has taken out of Envoy's buffer and not yet released.
  get withheld(): i32 {
    return this.phase == Phase.Passing ? 0 : this.kept.length;
  }

  // chunk: everything Envoy holds for this direction now. With endOfStream,
  // withheld bytes are released as they are: nothing more will complete them.
  push(chunk: Uint8Array, endOfStream: bool): StreamAction {
    const src = this.arraySource;
    src.bytes = chunk;
    return this.pushFrom(src, endOfStream);
  }

  // push() over a source that is read only where needed. With
  // StreamAction.Forward nothing was read beyond what the handler looked at.
  pushFrom(src: ChunkSource, endOfStream: bool): StreamAction {
    this.src = src;
    this.changed = false;
    this.cleanEnd = 0;
    let pos = 0;
    const n = src.length;
    while (pos < n) {
      const phase = this.phase;
      if (phase == Phase.Desynced) {
        this.emitChunk(pos, n);
        pos = n;
      } else if (phase == Phase.Prefix && this.kept.length == 0 && n - pos >= SIZE_PREFIX) {
        pos = this.frameFromChunk(pos);
        if (pos < 0) return StreamAction.Close;
      } else if (phase == Phase.Prefix) {
        pos = this.prefixPiece(pos);
        if (pos < 0) return StreamAction.Close;
      } else if (phase == Phase.Deciding) {
        pos = this.keep(pos);
        if (this.decideKept() == FrameFate.Close) return StreamAction.Close;
      } else if (phase == Phase.Holding) {
        pos = this.keep(pos);
        if (this.remaining == 0) this.finishFrame();
      } else {
        const take = min(this.remaining, n - pos);
        if (this.fate == FrameFate.Observe) this.keepChunk(pos, pos + take);
        else if (this.fate == FrameFate.Scan) this.scan(src, pos, pos + take);
        this.emitChunk(pos, pos + take);
        this.remaining -= take;
        pos += take;
        if (this.remaining == 0) this.finishFrame();
      }
    }
    if (endOfStream && this.phase != Phase.Passing && this.kept.length > 0) {
      this.markChanged();
      this.emitKept();
      this.kept.reset();
      this.phase = Phase.Desynced;
    }
    return this.result();
  }

  // The fast path: the size prefix is in this chunk, so the handler can
  // decide on a view of the chunk and a complete frame is never copied.
  private frameFromChunk(pos: i32): i32 {
    const src = this.src;
    const size = readSize(src.bytesAt(pos, pos + SIZE_PREFIX), src.at);
    if (size < 0) return this.desync(size, pos);
    const available = min(size, src.length - pos - SIZE_PREFIX);
    const bodyStart = pos + SIZE_PREFIX;
    const end = bodyStart + available;
    const oversize = size > this.maxFrame;
    // An expensive source shows the handler what it fetched already (reading
    // the size fetched the frame's start), at least PEEK bytes, and a growing
    // head while it asks for more.
    let peek = min(available, max(PEEK, src.ready(bodyStart)));
    this.handler.arrived = available;
    let fate = this.handler.decide(src.range(bodyStart, bodyStart + peek), size, oversize);
    while (fate == FrameFate.NeedMore && peek < available) {
      peek = min(available, peek << 2);
      fate = this.handler.decide(src.range(bodyStart, bodyStart + peek), size, oversize);
    }
    fate = this.resolve(fate, available == size, oversize);
    if (fate == FrameFate.Close) return -1;
    this.frameSize = size;
    this.remaining = size - available;
    this.fate = fate;
    if (fate == FrameFate.NeedMore) {
      this.markChanged();
      this.keepChunk(pos, end);
      this.phase = Phase.Deciding;
      return end;
    }
    if (fate == FrameFate.Scan) {
      const scanner = this.handler.scanner();
      if (scanner == null) fate = this.fate = FrameFate.Pass;
      else this.startScan(scanner);
    }
    if (available == size) {
      this.framesSeen++;
      if (fate == FrameFate.Hold) {
        const replacement = this.handler.onFrame(src.range(bodyStart, end), true);
        if (replacement != null) {
          this.markChanged();
          this.out.range(replacement, 0, replacement.length);
          return end;
        }
      } else if (fate == FrameFate.Observe) {
        this.handler.onFrame(src.range(bodyStart, end), false);
      } else if (fate == FrameFate.Scan) {
        this.scan(src, bodyStart, end);
        this.endScan();
      }
      this.emitChunk(pos, end);
      return end;
    }
    if (fate == FrameFate.Hold) {
      this.markChanged();
      this.keepChunk(pos, end);
      this.phase = Phase.Holding;
    } else {
      if (fate == FrameFate.Observe) this.keepChunk(pos, end);
      else if (fate == FrameFate.Scan) this.scan(src, bodyStart, end);
      this.emitChunk(pos, end);
      this.phase = Phase.Passing;
    }
    return end;
  }

  // A size prefix split across reads: withhold its bytes until it is whole.
  private prefixPiece(pos: i32): i32 {
    this.markChanged();
    const take = min(SIZE_PREFIX - this.kept.length, this.src.length - pos);
    this.keepChunk(pos, pos + take);
    pos += take;
    if (this.kept.length < SIZE_PREFIX) return pos;
    const size = readSize(this.kept.buf, 0);
    if (size < 0) {
      this.emitKept();
      this.kept.reset();
      return this.desync(size, pos);
    }
    this.frameSize = size;
    this.remaining = size;
    this.phase = Phase.Deciding;
    return this.decideKept() == FrameFate.Close ? -1 : pos;
  }

  private keep(pos: i32): i32 {
    this.markChanged();
    const take = min(this.remaining, this.src.length - pos);
    this.keepChunk(pos, pos + take);
    this.remaining -= take;
    return pos + take;
  }

  private decideKept(): FrameFate {
    const oversize = this.frameSize > this.maxFrame;
    const head = this.kept.view().subarray(SIZE_PREFIX);
    this.handler.arrived = head.length;
    const fate = this.resolve(this.handler.decide(head, this.frameSize, oversize), this.remaining == 0, oversize);
    if (fate == FrameFate.Close || fate == FrameFate.NeedMore) return fate;
    this.fate = fate;
    if (fate == FrameFate.Scan) {
      const scanner = this.handler.scanner();
      if (scanner == null) {
        this.fate = FrameFate.Pass;
      } else {
        // The scanner starts with the bytes withheld while deciding.
        this.startScan(scanner);
        const keptSource = this.keptSource;
        keptSource.bytes = this.kept.view();
        this.scan(keptSource, SIZE_PREFIX, keptSource.bytes.length);
      }
    }
    if (fate == FrameFate.Hold) {
      this.phase = Phase.Holding;
    } else {
      // What was withheld while deciding goes out now; an observed frame
      // keeps its copy.
      this.emitKept();
      if (this.fate != FrameFate.Observe) this.kept.reset();
      this.phase = Phase.Passing;
    }
    if (this.remaining == 0) this.finishFrame();
    return fate;
  }

  private resolve(fate: FrameFate, complete: bool, oversize: bool): FrameFate {
    if (fate == FrameFate.Close) return fate;
    if (oversize) {
      this.oversizeFrames++;
      return FrameFate.Pass;
    }
    if (fate == FrameFate.NeedMore && complete) return FrameFate.Hold;
    return fate;
  }

  private finishFrame(): void {
    this.framesSeen++;
    if (this.fate == FrameFate.Hold) {
      const replacement = this.handler.onFrame(this.kept.view().subarray(SIZE_PREFIX), true);
      if (replacement != null) this.out.range(replacement, 0, replacement.length);
      else this.emitKept();
    } else if (this.fate == FrameFate.Observe) {
      this.handler.onFrame(this.kept.view().subarray(SIZE_PREFIX), false);
    } else if (this.fate == FrameFate.Scan) {
      this.endScan();
    }
    this.kept.reset();
    this.phase = Phase.Prefix;
  }

  private desync(size: i32, pos: i32): i32 {
    this.phase = Phase.Desynced;
    return this.handler.onDesync(size) ? -1 : pos;
  }

  private startScan(scanner: FrameScanner): void {
    this.scanning = scanner;
    this.staged.reset();
  }

  // Feeds src[start, end), the next bytes of the Scan frame, to its scanner:
  // skipped bytes are never read from the source.
  private scan(src: ChunkSource, start: i32, end: i32): void {
    const s = this.scanning;
    if (s == null) return;
    let pos = start;
    while (pos < end) {
      if (s.skip > 0) {
        const k = min(s.skip, end - pos);
        s.skip -= k;
        pos += k;
        continue;
      }
      const want = s.want;
      if (want <= 0) return;
      const staged = this.staged.length;
      const k = min(want - staged, end - pos);
      const bytes = src.bytesAt(pos, pos + k);
      const at = src.at;
      pos += k;
      if (staged == 0 && k == want) {
        s.take(bytes, at);
        continue;
      }
      this.staged.range(bytes, at, at + k);
      if (this.staged.length == want) {
        const whole = this.staged.toBytes();
        this.staged.reset();
        s.take(whole, 0);
      }
    }
  }

  private endScan(): void {
    const s = this.scanning;
    this.scanning = null;
    this.staged.reset();
    if (s != null) this.handler.onScanned(s);
  }

  private keepChunk(start: i32, end: i32): void {
    if (end > start) copyRange(this.src, start, end, this.kept);
  }

  private emitChunk(start: i32, end: i32): void {
    if (this.changed) {
      if (end > start) copyRange(this.src, start, end, this.out);
    } else this.cleanEnd = end;
  }

  private emitKept(): void {
    this.out.range(this.kept.buf, 0, this.kept.length);
  }

  // Called before anything is withheld or inserted: from here on the output
  // is built explicitly, starting with the bytes that went out unchanged.
  private markChanged(): void {
    if (this.changed) return;
    this.changed = true;
    this.out.reset();
    if (this.cleanEnd > 0) copyRange(this.src, 0, this.cleanEnd, this.out);
  }

  private result(): StreamAction {
    if (!this.changed) return StreamAction.Forward;
    this.output = this.out.view();
    // Bytes withheld and released within the same callback leave the buffer
    // as it was: then there is nothing to rewrite.
    const n = this.src.length;
    if (this.output.length == n && bytesEqual(this.output, this.src.range(0, n))) return StreamAction.Forward;
    return StreamAction.Replace;
  }
}

function copyRange(src: ChunkSource, start: i32, end: i32, to: BytesWriter): void {
  const bytes = src.bytesAt(start, end);
  const at = src.at;
  to.range(bytes, at, at + end - start);
}

function readSize(bytes: Uint8Array, at: i32): i32 {
  return (i32(bytes[at]) << 24) | (i32(bytes[at + 1]) << 16) | (i32(bytes[at + 2]) << 8) | i32(bytes[at + 3]);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  return memory.compare(a.dataStart, b.dataStart, a.length) == 0;
}
