// The handler's side of a frame stream (frame_stream.ts, whose header says
// what each fate means): the FrameHandler that decides each frame's fate,
// the FrameScanner that reads a frame as it streams by asking for only the
// bytes it needs, and the ChunkSource a read's bytes come from (fetched
// range by range when they are expensive, framed_connection.ts).

export enum FrameFate {
  Pass = 0,
  Observe = 1,
  Hold = 2,
  NeedMore = 3,
  Close = 4,
  Scan = 5,
}

export abstract class FrameHandler {
  // head: the frame's first bytes after the size prefix. From a cheap source
  // these are all that have arrived; from an expensive one (Envoy's buffer)
  // at least what was fetched already, perhaps fewer: answering NeedMore
  // shows more of them, or waits for more to arrive. oversize: frame >
  // maxFrame.
  abstract decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate;
  // During decide: how many of the frame's bytes after the size prefix have
  // arrived (head.length when it shows them all). What is not shown of an
  // oversize frame can still be shown, but never kept for later.
  arrived: i32 = 0;
  // A complete Observe or Hold frame, without its size prefix. For a held
  // frame, a non-null result replaces the whole frame on the wire (the result
  // includes its own size prefix, so a frame can also be replaced by several
  // frames or by nothing, an empty array).
  abstract onFrame(body: Uint8Array, held: bool): Uint8Array | null;
  // The size prefix is negative: the stream cannot be followed any further.
  // Return true to close the connection, false to pass everything from here on.
  abstract onDesync(size: i32): bool;
  // After decide returned Scan: the scanner for this frame, positioned at the
  // first byte after the size prefix (null: the frame is passed instead).
  scanner(): FrameScanner | null {
    return null;
  }
  // A Scan frame went by completely; its scanner has seen what it asked for.
  onScanned(scanner: FrameScanner): void {}
}

// Reads a frame in order as it passes, across reads, without the frame ever
// being kept: it first passes over `skip` bytes unseen, then is handed the
// next `want` bytes together in take(), as bytes[at, at + want), and sets the
// next skip and want.
// want == 0 means it needs nothing more of this frame. A scanner must never
// ask for bytes beyond the frame's end.
export abstract class FrameScanner {
  skip: i32 = 0;
  want: i32 = 0;
  abstract take(bytes: Uint8Array, at: i32): void;
}

// Where the bytes of one read come from. range() may cost a copy (the host's
// buffer), so the stream asks only for what it needs.
export abstract class ChunkSource {
  abstract get length(): i32;
  // Bytes [start, end) of the read; the view stays valid.
  abstract range(start: i32, end: i32): Uint8Array;
  // How many bytes from start on range() can show without a copy (all of
  // them for a cheap source; what an expensive one fetched already): that
  // much of a frame's head decide() sees at once.
  abstract ready(start: i32): i32;
  // Where bytesAt() put the range's first byte.
  at: i32 = 0;
  // range() without a view object per call (this is per field of every
  // frame): an array holding bytes [start, end) from index `at` on.
  bytesAt(start: i32, end: i32): Uint8Array {
    this.at = 0;
    return this.range(start, end);
  }
}

export class ArraySource extends ChunkSource {
  constructor(public bytes: Uint8Array) {
    super();
  }
  get length(): i32 {
    return this.bytes.length;
  }
  range(start: i32, end: i32): Uint8Array {
    return this.bytes.subarray(start, end);
  }
  ready(start: i32): i32 {
    return this.bytes.length - start;
  }
  bytesAt(start: i32, end: i32): Uint8Array {
    this.at = start;
    return this.bytes;
  }
}
