// The request pipeline of the network filters (kafka, rocketmq): one seam
// for every policy that looks at or changes requests and responses (ACLs,
// address rewrites, quotas, tracing). Kroxylicious's filter API is the
// model, adapted to a proxy that streams frames and cannot write to the
// client.
//
// Exchange (exchange.ts). Each request gets one exchange, from its first
// bytes to its response: its id, API and version, start time, the session
// of its connection (the caller's Identity, mute and close), what the
// protocol read of it (typed fields of the protocol's subclass: topics,
// groups, acks), the answer a policy substituted, pending merges, the span,
// the throttle time. Exchanges waiting for a response belong to their
// connection (inflight.ts) and go with it; an exchange is reused for a later
// request once it is over (after onDone), so a policy keeps nothing of it.
//
// Interceptors (interceptor.ts). A policy is an Interceptor added once, at
// configure, with Pipeline.add. It declares which APIs it handles
// (handlesRequest / handlesResponse, asked once per API and version and
// cached), and is then shown each frame of those:
//   onRequestHead   the request's first bytes, while it streams: Pass, Hold
//                   (show me the whole request), NeedMore (more bytes of the
//                   head) or Close (fail closed)
//   onRequest       the whole request, if it held it (decoded lazily, once,
//                   for every interceptor; changed in place or replaced)
//   onResponseHead  the head of a response to a request it handles or
//                   watch()ed
//   onResponse      the whole response, if it held it
//   onDone          the exchange is over (answered, or abandoned on close)
// "Asked once": an interceptor's verdict on a head is recorded on the
// exchange (its bit in `asked`, `holding`), so it is never asked again for
// that frame, however the frame's bytes are split across reads and however
// often another interceptor answers NeedMore; only an interceptor that
// answered NeedMore itself is asked again, with more bytes. A frame that
// completes before a NeedMore is settled is held, and that interceptor gets
// onRequest/onResponse. Nothing here costs anything for an API no
// interceptor handles.
//
// Hold, substitute, answer. A held frame is withheld from Envoy's buffer
// until it is complete (frame_stream.ts), then given to the interceptors
// holding it; what they leave (HeldFrame.result) replaces it on the wire.
// To answer a request itself a policy calls Exchange.shortCircuit(response),
// from the head or from the whole request, which ends the chain: network
// filters cannot write to the client, so the request is replaced by a
// stand-in the server answers at once with the same id (HeldRequest.standIn:
// Kafka ApiVersions v0, RocketMQ GET_BROKER_CLUSTER_INFO), and that answer
// is swapped for the policy's. Order and ids stay intact. A request the
// client expects no answer to (Exchange.oneway) is dropped instead. To fail
// closed, a policy answers a head with Verdict.Close, or calls
// Exchange.close() on a whole request: nothing of it goes on and the
// connection is closed.
//
// Mute. A policy throttling a client calls x.session.mute(ms): the
// connection stops reading the client's requests for that long
// (framed_connection.ts); the root's tick resumes it.
import { Exchange } from "./exchange";
import { FrameHead, HeldFrame, HeldRequest, Interceptor, Verdict } from "./interceptor";

export const MAX_INTERCEPTORS: i32 = 32;
const EMPTY = new Uint8Array(0);

// Which interceptors handle one API and version, by (api << 16 | version),
// with the last key remembered: traffic mostly repeats one API.
class Masks {
  private byKey: Map<i64, u32> = new Map<i64, u32>();
  private lastKey: i64 = -1;
  private lastMask: u32 = 0;

  // The mask, or -1 when not cached yet.
  get(key: i64): i64 {
    if (key == this.lastKey) return <i64>this.lastMask;
    if (!this.byKey.has(key)) return -1;
    this.lastKey = key;
    this.lastMask = this.byKey.get(key);
    return <i64>this.lastMask;
  }

  set(key: i64, mask: u32): void {
    this.byKey.set(key, mask);
    this.lastKey = key;
    this.lastMask = mask;
  }
}

export class Pipeline<X extends Exchange, Req extends HeldRequest, Res extends HeldFrame> {
  private readonly interceptors: Array<Interceptor<X, Req, Res>> = new Array<Interceptor<X, Req, Res>>();
  private readonly requestMasks: Masks = new Masks();
  private readonly responseMasks: Masks = new Masks();

  // Registers an interceptor, in order (earlier ones are asked first).
  // False when MAX_INTERCEPTORS are registered already.
  add(interceptor: Interceptor<X, Req, Res>): bool {
    const n = this.interceptors.length;
    if (n >= MAX_INTERCEPTORS) return false;
    interceptor.bit = (<u32>1) << <u32>n;
    this.interceptors.push(interceptor);
    return true;
  }

  get empty(): bool {
    return this.interceptors.length == 0;
  }

  // The interceptors handling requests of this API and version.
  requestMask(api: i32, version: i16): u32 {
    return this.maskOf(this.requestMasks, api, version, true);
  }

  private responseMask(api: i32, version: i16): u32 {
    return this.maskOf(this.responseMasks, api, version, false);
  }

  private maskOf(masks: Masks, api: i32, version: i16, requests: bool): u32 {
    const key = (<i64>api << 16) | <i64><u16>version;
    const cached = masks.get(key);
    if (cached >= 0) return <u32>cached;
    let mask: u32 = 0;
    for (let i = 0; i < this.interceptors.length; i++) {
      const interceptor = unchecked(this.interceptors[i]);
      const handles = requests ? interceptor.handlesRequest(api, version) : interceptor.handlesResponse(api, version);
      if (handles) mask |= interceptor.bit;
    }
    masks.set(key, mask);
    return mask;
  }

  // A request's head: asks each interceptor handling it that has not given
  // its verdict on this frame yet. Hold when any holds or the exchange was
  // answered, NeedMore while one wants more, Close when one fails closed.
  requestHead(x: X, head: FrameHead): Verdict {
    if (this.interceptors.length == 0) return Verdict.Pass;
    const handling = this.requestMask(x.api, x.version);
    if (x.asked == 0) x.watching |= this.responseMask(x.api, x.version);
    let pending = handling & ~x.asked;
    let needMore = false;
    while (pending != 0 && !x.answered) {
      const bit = pending & (~pending + 1);
      pending ^= bit;
      const verdict = unchecked(this.interceptors[ctz(bit)]).onRequestHead(x, head);
      if (verdict == Verdict.NeedMore) {
        needMore = true;
        continue;
      }
      x.asked |= bit;
      if (verdict == Verdict.Hold) x.holding |= bit;
      else if (verdict == Verdict.Close) return Verdict.Close;
    }
    if (x.answered) return Verdict.Hold;
    if (needMore) return Verdict.NeedMore;
    return x.holding != 0 ? Verdict.Hold : Verdict.Pass;
  }

  // A held request, complete: what goes to the server instead (a stand-in
  // for an answered one, empty when it gets no response), or null.
  request(x: X, request: Req): Uint8Array | null {
    if (!x.answered) {
      let holders = x.holding | (this.requestMask(x.api, x.version) & ~x.asked);
      x.asked |= holders;
      x.holding = holders;
      while (holders != 0 && !x.answered && !x.closing) {
        const bit = holders & (~holders + 1);
        holders ^= bit;
        unchecked(this.interceptors[ctz(bit)]).onRequest(x, request);
      }
    }
    if (x.closing) return EMPTY;
    if (x.answered) return x.oneway ? EMPTY : request.standIn();
    return request.result();
  }

  // A response's head: Hold for an answered exchange (its answer replaces
  // the server's), else as requestHead for the interceptors watching it.
  responseHead(x: X, head: FrameHead): Verdict {
    if (x.answered) return Verdict.Hold;
    let pending = x.watching & ~x.responseAsked;
    let needMore = false;
    while (pending != 0) {
      const bit = pending & (~pending + 1);
      pending ^= bit;
      const verdict = unchecked(this.interceptors[ctz(bit)]).onResponseHead(x, head);
      if (verdict == Verdict.NeedMore) {
        needMore = true;
        continue;
      }
      x.responseAsked |= bit;
      if (verdict == Verdict.Hold) x.responseHolding |= bit;
      else if (verdict == Verdict.Close) return Verdict.Close;
    }
    if (needMore) return Verdict.NeedMore;
    return x.responseHolding != 0 ? Verdict.Hold : Verdict.Pass;
  }

  // A held response, complete: what goes to the client instead, or null.
  response(x: X, response: Res): Uint8Array | null {
    const answer = x.answer;
    if (answer != null) return answer;
    let holders = x.responseHolding | (x.watching & ~x.responseAsked);
    x.responseAsked |= holders;
    x.responseHolding = holders;
    while (holders != 0) {
      const bit = holders & (~holders + 1);
      holders ^= bit;
      unchecked(this.interceptors[ctz(bit)]).onResponse(x, response);
    }
    return response.result();
  }

  // The exchange is over: every interceptor that handled it is told.
  done(x: X, abandoned: bool): void {
    if (this.interceptors.length == 0) return;
    let told = this.requestMask(x.api, x.version) | x.watching;
    while (told != 0) {
      const bit = told & (~told + 1);
      told ^= bit;
      unchecked(this.interceptors[ctz(bit)]).onDone(x, abandoned);
    }
  }
}
