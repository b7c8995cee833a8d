// A network filter connection whose two directions are frame streams
// (frame_stream.ts): the part every protocol-aware network filter shares.
// Each read is pushed through its direction's stream and Envoy's buffer is
// rewritten only when the stream withheld or replaced bytes. A read is not
// copied out of Envoy as a whole: the stream fetches only the ranges it looks
// at (HostChunk), so the bytes of frames that are passed or scanned go by
// without entering the module, and a read it needs nothing of (the middle or
// tail of a large frame) costs no fetch.
//
// The connection is never paused, except when a policy mutes the client
// (Session.mute, as a Kafka broker mutes a throttled channel): from the next
// read on, onDownstreamData answers Pause without looking at the bytes, so
// they wait in Envoy's buffer (Envoy stops reading the socket once that
// buffer is full). Envoy hands a paused filter its whole accumulated buffer
// again on every read; since none of it went through the stream, nothing is
// seen twice. When the mute is over (the root's tick calls
// resumeMutedConnections, or a read arrives after the deadline), the whole
// held buffer goes through the stream once and then on to the upstream
// (continueDownstream). Bytes the stream has already seen are therefore
// never left in a paused buffer. Only the client's direction is ever paused:
// Envoy cannot resume the upstream one.
import { FilterStatus, HostBuffer, PeerType, RootContext, StreamContext, currentContextId, downstreamData, getCurrentTimeNanoseconds, log, makeEffective, upstreamData } from "../proxy";
import { ChunkSource, FrameStream, StreamAction } from "./frame_stream";
import { Identity } from "./identity";

// When no more than this is left of a read past the first byte needed, it
// is fetched to its end at once (one host call beats several); larger reads
// range by range, on demand.
const FETCH_REST_BELOW: i32 = 4096;

// Each fetch from a large read takes at least this much, so that the many
// small ranges a frame start needs (size, header, names, first batch header)
// cost one host call.
const WINDOW: i32 = 512;

const EMPTY = new Uint8Array(0);
const MS: u64 = 1000000;

// Where reads from Envoy land (HostBuffer.readInto), shared by every
// connection of this worker: one read is under way at a time, and what the
// stream keeps of it it copies. Larger fetches get their own array.
const SCRATCH = new Uint8Array(8192);

// One read in Envoy's buffer, fetched range by range.
class HostChunk extends ChunkSource {
  buffer: HostBuffer | null = null;
  size: i32 = 0;
  // The last fetch: bytes [windowStart, windowStart + windowLength), from
  // index 0 of window (SCRATCH, or an array of its own).
  private window: Uint8Array = EMPTY;
  private windowStart: i32 = 0;
  private windowLength: i32 = 0;

  reset(buffer: HostBuffer | null, size: i32): void {
    this.buffer = buffer;
    this.size = size;
    this.window = EMPTY;
    this.windowStart = 0;
    this.windowLength = 0;
  }

  get length(): i32 {
    return this.size;
  }

  ready(start: i32): i32 {
    const from = this.windowStart;
    return start >= from && start < from + this.windowLength ? from + this.windowLength - start : 0;
  }

  range(start: i32, end: i32): Uint8Array {
    const bytes = this.bytesAt(start, end);
    return bytes.subarray(this.at, this.at + end - start);
  }

  bytesAt(start: i32, end: i32): Uint8Array {
    const n = end - start;
    const from = this.windowStart;
    if (start >= from && end <= from + this.windowLength) {
      this.at = start - from;
      return this.window;
    }
    this.at = 0;
    if (n <= 0) return EMPTY;
    const rest = this.size - start;
    const fetch = max(rest <= FETCH_REST_BELOW ? rest : n >= WINDOW ? n : WINDOW, n);
    let view: Uint8Array;
    let got: i32;
    if (fetch <= SCRATCH.length) {
      view = SCRATCH;
      got = max(this.buffer!.readInto(<u32>start, <u32>fetch, view), 0);
      // The host gave less than it said it holds: never read past what came.
      if (got < n) view.fill(0, got, n);
    } else {
      const bytes = this.buffer!.get(<u32>start, <u32>fetch);
      view = bytes == null ? EMPTY : Uint8Array.wrap(bytes);
      got = view.length;
      if (got < n) {
        const padded = new Uint8Array(n);
        padded.set(view);
        view = padded;
      }
    }
    if (n < WINDOW || fetch == rest) {
      this.window = view;
      this.windowStart = start;
      this.windowLength = max(got, n);
    } else if (view === SCRATCH) {
      // The window no longer holds what it says.
      this.window = EMPTY;
      this.windowLength = 0;
    }
    return view;
  }
}

// What policies know of and may do to one connection: shared by every
// request on it (pipeline/exchange.ts holds a reference).
export class Session {
  // Who is calling: read from Envoy on the first bytes from the client.
  readonly identity: Identity = new Identity();

  constructor(private readonly connection: FramedConnection) {}

  // Stops reading the client's requests for `ms` milliseconds from the next
  // read on (a later deadline extends a mute under way; an earlier one does
  // not shorten it). Requests already read go on.
  mute(ms: u32): void {
    this.connection.muteUntil(getCurrentTimeNanoseconds() + <u64>ms * MS);
  }

  get muted(): bool {
    return this.connection.mutedUntil > 0;
  }

  // Fails closed: closes the client's connection (after this callback).
  close(): void {
    this.connection.closeClient();
  }
}

// The muted connections of this Envoy worker (one Wasm VM per worker).
const muted = new Array<FramedConnection>();

// Resumes every muted connection whose mute is over: call it from the root's
// onTick (the mute lasts at least until then, so the tick period bounds its
// precision). Returns how many are still muted.
export function resumeMutedConnections(): i32 {
  if (muted.length == 0) return 0;
  // Resuming makes each connection the effective context
  // (continueDownstream); the caller gets its own back, or the calls it
  // makes next (a span export, a rate limit query) would be answered to a
  // connection instead of the root.
  const caller = currentContextId();
  const now = getCurrentTimeNanoseconds();
  for (let i = muted.length - 1; i >= 0; i--) {
    const connection = unchecked(muted[i]);
    if (connection.mutedUntil <= now) connection.resume();
  }
  makeEffective(caller);
  return muted.length;
}

export abstract class FramedConnection extends StreamContext {
  private closed: bool = false;
  private readonly hostChunk: HostChunk = new HostChunk();
  readonly session: Session = new Session(this);
  // While muted: when the mute ends (ns since the epoch; 0 = not muted),
  // and what Envoy holds of the client's bytes.
  mutedUntil: u64 = 0;
  private heldSize: u32 = 0;
  private heldEndOfStream: bool = false;

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
    if (this.mutedUntil > 0) {
      if (getCurrentTimeNanoseconds() < this.mutedUntil) {
        this.heldSize = dataSize;
        this.heldEndOfStream = endOfStream;
        return FilterStatus.Pause;
      }
      this.unmute();
    }
    if (!this.session.identity.resolved) this.session.identity.resolve();
    return this.pump(this.clientFrames(), downstreamData, dataSize, endOfStream);
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus {
    return this.pump(this.serverFrames(), upstreamData, dataSize, endOfStream);
  }

  onDownstreamClose(peer: PeerType): void {
    if (this.closed) return;
    this.closed = true;
    if (this.mutedUntil > 0) this.unmute();
    this.onClosed();
  }

  // Session.mute: takes effect at the next read from the client.
  muteUntil(deadline: u64): void {
    if (this.closed || deadline <= this.mutedUntil) return;
    if (this.mutedUntil == 0) {
      muted.push(this);
      this.heldSize = 0;
      this.heldEndOfStream = false;
    }
    this.mutedUntil = deadline;
  }

  closeClient(): void {
    this.closeDownstream();
  }

  // The mute is over: what Envoy held meanwhile goes through the stream once,
  // then on (a mute the stream's policies start now applies from the next read).
  resume(): void {
    const size = this.heldSize;
    const endOfStream = this.heldEndOfStream;
    this.unmute();
    if (size == 0 && !endOfStream) return;
    this.setEffectiveContext();
    this.pump(this.clientFrames(), downstreamData, size, endOfStream);
    this.continueDownstream();
  }

  private unmute(): void {
    this.mutedUntil = 0;
    this.heldSize = 0;
    this.heldEndOfStream = false;
    const at = muted.indexOf(this);
    if (at >= 0) {
      muted[at] = muted[muted.length - 1];
      muted.pop();
    }
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
      // Closing fails closed: nothing of this read goes on.
      log.warn(this.protocol + " filter: closing the connection (bytes it cannot follow, or a policy's verdict)");
      buffer.replacePrefix(size, new ArrayBuffer(0));
      this.closeDownstream();
    }
    return FilterStatus.Continue;
  }
}
