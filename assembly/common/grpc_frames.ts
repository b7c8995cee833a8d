// One direction of a gRPC stream (request or response body), message by
// message as body chunks arrive. A gRPC message on the wire is a 1-byte
// compressed flag, a 4-byte big-endian length and the message; a body chunk
// may end anywhere, and a streaming RPC (server streaming ReceiveMessage,
// bidirectional Telemetry) carries any number of messages, so nothing here
// ever waits for the end of the stream: each message is handled on its own.
//
// frame_stream.ts does the same for 4-byte size prefixes on L4 connections;
// the 5-byte prefix with its flag byte does not fit it, hence this file.
//
// The handler decides each message's fate from its prefix:
//   Pass     forward as it arrives, keep nothing
//   Observe  forward as it arrives, and keep a copy to look at once complete
//   Hold     withhold until complete; the handler may then replace it
// Messages larger than maxMessage are never kept (Observe/Hold become Pass).
// Withholding uses Envoy's body rule: a filter may replace its buffer from
// offset 0, so "withhold" is "replace the chunk with what may go now".
//
// Limits: bytes withheld when the stream ends without end_of_stream on a
// body chunk (gRPC ends with trailers) are lost; only a malformed stream
// (a message cut short) can leave bytes withheld then.

export const GRPC_PREFIX: i32 = 5;

export enum MessageFate {
  Pass = 0,
  Observe = 1,
  Hold = 2,
}

export abstract class GrpcMessageHandler {
  // compressed: the flag byte is set (the message is not protobuf as such).
  abstract fate(compressed: bool, size: i32): MessageFate;
  // A complete Observe or Hold message, without its prefix. For a held
  // message, a non-null result replaces it on the wire, prefix included (so
  // a message can be replaced by several or removed, an empty array).
  abstract onMessage(message: Uint8Array, compressed: bool, held: bool): Uint8Array | null;
  // An oversize message went through unseen.
  onOversize(size: i32): void {}
}

// A gRPC message with its prefix.
export function grpcFrame(message: Uint8Array, compressed: bool = false): Uint8Array {
  const n = message.length;
  const out = new Uint8Array(n + GRPC_PREFIX);
  out[0] = compressed ? 1 : 0;
  out[1] = <u8>(n >>> 24);
  out[2] = <u8>(n >>> 16);
  out[3] = <u8>(n >>> 8);
  out[4] = <u8>n;
  out.set(message, GRPC_PREFIX);
  return out;
}

class Bytes {
  data: Uint8Array = new Uint8Array(64);
  length: i32 = 0;

  append(src: Uint8Array, start: i32, end: i32): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.length + n > this.data.length) {
      let capacity = this.data.length << 1;
      while (capacity < this.length + n) capacity <<= 1;
      const grown = new Uint8Array(capacity);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(src.subarray(start, end), this.length);
    this.length += n;
  }

  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
    if (this.data.length > 65536) this.data = new Uint8Array(64);
  }
}

const enum Phase {
  Prefix = 0, // at a message boundary, or collecting a prefix split across chunks
  Body = 1, // inside a message
}

export class GrpcFrames {
  // After push() returned true: what Envoy's buffer must hold instead.
  output: Uint8Array = new Uint8Array(0);
  messages: u64 = 0;

  private phase: Phase = Phase.Prefix;
  private prefix: Bytes = new Bytes();
  private compressed: bool = false;
  private size: i32 = 0;
  private remaining: i32 = 0;
  private fate: MessageFate = MessageFate.Pass;
  private kept: Bytes = new Bytes(); // the message body (Observe, Hold)
  private heldPrefix: bool = false; // prefix bytes withheld (Hold or split prefix)
  private out: Bytes = new Bytes();
  private changed: bool = false;
  private cleanEnd: i32 = 0;
  private chunk: Uint8Array = new Uint8Array(0);

  // mayHold: the handler may ever answer Hold, so a prefix split across
  // chunks is withheld until its fate is known (otherwise it goes on).
  constructor(private handler: GrpcMessageHandler, private maxMessage: i32, private mayHold: bool) {}

  // Bytes taken out of Envoy's buffer and not yet released.
  get withheld(): i32 {
    if (this.phase == Phase.Prefix) return this.heldPrefix ? this.prefix.length : 0;
    return this.fate == MessageFate.Hold ? GRPC_PREFIX + this.kept.length : 0;
  }

  // chunk: the body bytes of this callback. Returns true when Envoy's buffer
  // must be replaced with `output`.
  push(chunk: Uint8Array, endOfStream: bool): bool {
    this.chunk = chunk;
    this.changed = false;
    this.cleanEnd = 0;
    let pos = 0;
    const n = chunk.length;
    while (pos < n) {
      if (this.phase == Phase.Prefix) {
        if (this.prefix.length == 0 && n - pos >= GRPC_PREFIX) {
          this.startMessage(chunk, pos, false);
          pos += GRPC_PREFIX;
        } else {
          const take = min(GRPC_PREFIX - this.prefix.length, n - pos);
          if (this.mayHold) {
            this.markChanged();
            this.heldPrefix = true;
          } else {
            this.emitChunk(pos, pos + take);
          }
          this.prefix.append(chunk, pos, pos + take);
          pos += take;
          if (this.prefix.length == GRPC_PREFIX) {
            this.startMessage(this.prefix.data, 0, this.heldPrefix);
            this.prefix.clear();
            this.heldPrefix = false;
          }
        }
        if (this.phase == Phase.Body && this.remaining == 0) this.finish();
      } else {
        const take = min(this.remaining, n - pos);
        if (this.fate == MessageFate.Hold) {
          this.markChanged();
          this.kept.append(chunk, pos, pos + take);
        } else {
          if (this.fate == MessageFate.Observe) this.kept.append(chunk, pos, pos + take);
          this.emitChunk(pos, pos + take);
        }
        this.remaining -= take;
        pos += take;
        if (this.remaining == 0) this.finish();
      }
    }
    if (endOfStream) this.release();
    if (!this.changed) return false;
    this.output = this.out.view();
    return true;
  }

  // The prefix is at src[at, at+5). prefixWithheld: its bytes were taken out
  // of Envoy's buffer in earlier chunks (they must be re-emitted unless held).
  private startMessage(src: Uint8Array, at: i32, prefixWithheld: bool): void {
    const flag = src[at];
    const size = (i32(src[at + 1]) << 24) | (i32(src[at + 2]) << 16) | (i32(src[at + 3]) << 8) | i32(src[at + 4]);
    this.compressed = flag != 0;
    this.size = size;
    this.remaining = size < 0 ? 0 : size;
    let fate = this.handler.fate(this.compressed, size);
    if (fate == MessageFate.Hold && !this.mayHold) fate = MessageFate.Observe;
    if (size < 0 || size > this.maxMessage) {
      if (fate != MessageFate.Pass) this.handler.onOversize(size);
      fate = MessageFate.Pass;
      if (size < 0) this.remaining = i32.MAX_VALUE; // cannot be followed: pass the rest
    }
    this.fate = fate;
    this.phase = Phase.Body;
    this.kept.clear();
    if (fate == MessageFate.Hold) {
      this.markChanged();
      return;
    }
    if (prefixWithheld) {
      this.out.append(src, at, at + GRPC_PREFIX);
    } else if (src === this.chunk) {
      this.emitChunk(at, at + GRPC_PREFIX);
    }
  }

  private finish(): void {
    this.messages++;
    if (this.fate == MessageFate.Hold) {
      const replacement = this.handler.onMessage(this.kept.view(), this.compressed, true);
      if (replacement != null) {
        this.out.append(replacement, 0, replacement.length);
      } else {
        this.out.append(grpcFrame(this.kept.view(), this.compressed), 0, GRPC_PREFIX + this.kept.length);
      }
    } else if (this.fate == MessageFate.Observe) {
      this.handler.onMessage(this.kept.view(), this.compressed, false);
    }
    this.kept.clear();
    this.phase = Phase.Prefix;
  }

  // End of stream: whatever is withheld goes out as it is.
  private release(): void {
    if (this.phase == Phase.Prefix && this.heldPrefix) {
      this.markChanged();
      this.out.append(this.prefix.data, 0, this.prefix.length);
      this.prefix.clear();
      this.heldPrefix = false;
    } else if (this.phase == Phase.Body && this.fate == MessageFate.Hold) {
      this.markChanged();
      const head = grpcFrame(new Uint8Array(0), this.compressed);
      head[1] = <u8>(this.size >>> 24);
      head[2] = <u8>(this.size >>> 16);
      head[3] = <u8>(this.size >>> 8);
      head[4] = <u8>this.size;
      this.out.append(head, 0, GRPC_PREFIX);
      this.out.append(this.kept.data, 0, this.kept.length);
      this.kept.clear();
      this.fate = MessageFate.Pass;
    }
  }

  private emitChunk(start: i32, end: i32): void {
    if (this.changed) this.out.append(this.chunk, start, end);
    else this.cleanEnd = end;
  }

  private markChanged(): void {
    if (this.changed) return;
    this.changed = true;
    this.out.clear();
    this.out.append(this.chunk, 0, this.cleanEnd);
  }
}
