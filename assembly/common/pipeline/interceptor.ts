// What an interceptor is, and what it is shown: a frame's head (its first
// bytes, while it streams) and, if it asked to hold it, the whole frame. See
// pipeline.ts for when each is called.
import { Exchange } from "./exchange";

// An interceptor's answer to a frame's head, given once per frame.
export enum Verdict {
  // Nothing to change in this frame: it streams on unheld.
  Pass = 0,
  // Withhold the frame until it is complete; then onRequest/onResponse gets
  // it whole and may change or answer it.
  Hold = 1,
  // Show more of the head: this interceptor (and only it) is asked again
  // when more bytes are there. A frame that completes first is held.
  NeedMore = 2,
  // Fail closed: the connection is closed.
  Close = 3,
}

// The first bytes of a frame, as the stream shows them. One object per
// direction, reused from frame to frame: read it during the call only.
export class FrameHead {
  // The frame after its size prefix, from its first byte; perhaps not all
  // that arrived (answer NeedMore to see more).
  bytes: Uint8Array = new Uint8Array(0);
  // The whole frame's size (size prefix excluded).
  frameSize: i32 = 0;
  // How many of its bytes have arrived.
  arrived: i32 = 0;
  // Larger than maxFrameBytes: it can be neither held nor changed (a Hold
  // is ignored; a policy that must see it whole answers Close).
  oversize: bool = false;

  get complete(): bool {
    return this.bytes.length >= this.frameSize;
  }

  // Every byte that has arrived is shown: NeedMore waits for more to arrive.
  get shownAll(): bool {
    return this.bytes.length >= this.arrived;
  }
}

// A whole frame an interceptor held (a protocol subclass adds lazy decoding:
// decoded once, on first use, for every interceptor). Interceptors change it
// in one of two ways: the decoded message in place (markChanged; encoded
// once after the last interceptor), or replace() with new bytes, which the
// following interceptors then see.
export abstract class HeldFrame {
  // The frame after its size prefix.
  bytes: Uint8Array = new Uint8Array(0);
  private changed: bool = false;
  private replaced: Uint8Array | null = null;

  // Starts on a new frame.
  protected resetFrame(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.changed = false;
    this.replaced = null;
    this.forget();
  }

  // The decoded message was changed in place.
  markChanged(): void {
    this.changed = true;
  }

  // The frame becomes `frame` (size prefix included; empty: nothing goes).
  replace(frame: Uint8Array): void {
    this.replaced = frame;
    this.changed = false;
    this.bytes = frame.length >= 4 ? frame.subarray(4) : frame;
    this.forget();
  }

  // What goes in place of the frame, or null when it goes unchanged.
  result(): Uint8Array | null {
    if (this.changed) return this.encode();
    return this.replaced;
  }

  // Drops what was decoded of the previous bytes.
  protected abstract forget(): void;
  // The changed decoded message, size prefix included.
  protected abstract encode(): Uint8Array;
}

// A held request can also be answered: it is then replaced by a stand-in the
// server answers with the same id.
export abstract class HeldRequest extends HeldFrame {
  // A cheap request of the same id the server answers at once.
  abstract standIn(): Uint8Array;
}

// A policy. Registered once (at configure) with Pipeline.add; it declares
// which APIs it handles, and is asked about each frame of those at most once
// (NeedMore aside). X: the protocol's exchange; Req, Res: its held frames.
// Every method has a default that does nothing, so a policy overrides only
// what it uses.
export abstract class Interceptor<X extends Exchange, Req extends HeldRequest, Res extends HeldFrame> {
  // This interceptor's bit in an exchange's masks (set by Pipeline.add).
  bit: u32 = 0;

  // Asked once per API and version (the answer is cached): show me requests
  // of it / their responses?
  handlesRequest(api: i32, version: i16): bool {
    return false;
  }
  handlesResponse(api: i32, version: i16): bool {
    return false;
  }

  // A request's head. Besides answering, it may shortCircuit the exchange
  // (the request is then held and substituted), watch() its response, or
  // charge it (quotas) and mute the session.
  onRequestHead(x: X, head: FrameHead): Verdict {
    return Verdict.Pass;
  }
  // A request it held, complete (a NeedMore never settled counts as Hold).
  onRequest(x: X, request: Req): void {}
  // The head of a response to a request it handles (or watched).
  onResponseHead(x: X, head: FrameHead): Verdict {
    return Verdict.Pass;
  }
  onResponse(x: X, response: Res): void {}
  // The exchange is over: its response is on its way to the client, or its
  // connection closed first (abandoned). The exchange may be reused after
  // this call: keep nothing of it.
  onDone(x: X, abandoned: bool): void {}

  // Asks for the response of this exchange even if its API is not handled.
  watch(x: X): void {
    x.watching |= this.bit;
  }
}
