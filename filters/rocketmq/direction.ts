// One direction of a remoting connection. Either side may send requests
// (the server asks the client for its running info, or tells it that the
// consumer ids of its group changed) and either side answers, so each frame
// is peeked for its flag first (header_peek.ts: read in place, nothing
// decoded) and then handed to the request or response observer of this
// direction.
import { Session } from "../../assembly/common/framed_connection";
import { FrameFate, FrameHandler } from "../../assembly/common/frame_stream";
import { ById } from "../../assembly/common/pipeline/inflight";
import { FramePeek, PEEK_INVALID, PEEK_NEED_MORE } from "../../assembly/rocketmq/frame";
import { OnUnknown, RocketMQFilterConfig } from "./config";
import { RocketMQExchange, RocketMQPipeline } from "./exchange";
import { RocketMQMetrics } from "./metrics";
import { RequestObserver } from "./requests";
import { ResponseObserver } from "./responses";

// The header-length word, and the least a binary header needs for code,
// opaque and flag; a JSON header is at least "{}".
const MIN_FRAME: i32 = 4 + 2;

const enum Reading {
  Nothing,
  Request,
  Response,
}

export class DirectionObserver extends FrameHandler {
  private readonly requests: RequestObserver;
  private readonly responses: ResponseObserver;
  private readonly peek: FramePeek;
  // What the current frame is, once its head was read.
  private reading: Reading = Reading.Nothing;
  // The observer answered NeedMore for the current frame: decide is called
  // again for it with more of its bytes.
  private judging: RocketMQExchange | null = null;
  // Bytes this direction cannot follow close the connection: onUnknown
  // "close", or requests from the client while the ACL can deny (what the
  // filter cannot read, it cannot judge).
  private readonly failClosed: bool;

  constructor(
    private metrics: RocketMQMetrics,
    private config: RocketMQFilterConfig,
    pipeline: RocketMQPipeline,
    session: Session,
    fromClient: bool,
    // Requests sent in this direction, and in the other one.
    sent: ById<RocketMQExchange>,
    received: ById<RocketMQExchange>,
  ) {
    super();
    // The client's frames are mostly requests, whose topic and group are read.
    this.peek = new FramePeek(fromClient);
    this.failClosed = config.onUnknown == OnUnknown.Close || (fromClient && config.acl.enabled && config.acl.denies);
    this.requests = new RequestObserver(metrics, sent, fromClient, pipeline, session);
    this.responses = new ResponseObserver(metrics, received, !fromClient, pipeline);
  }

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    const judging = this.judging;
    if (judging != null) {
      this.judging = null;
      const peek = this.peek.read(head, frameSize);
      const fate = this.reading == Reading.Request
        ? this.requests.judge(judging, peek, head, frameSize, oversize, this.arrived)
        : this.responses.judge(judging, head, frameSize, oversize, this.arrived);
      return this.after(fate, judging);
    }
    this.reading = Reading.Nothing;
    if (frameSize < MIN_FRAME) return this.notRemoting("short_frame");
    const peek = this.peek.read(head, frameSize);
    if (peek.status == PEEK_INVALID) return this.notRemoting("bad_header");
    if (peek.status == PEEK_NEED_MORE) {
      // The whole frame is here and still too short for its header.
      if (head.length >= frameSize) return this.notRemoting("short_frame");
      // A header too large to keep: the frame goes through uncounted.
      if (oversize && head.length >= this.arrived) {
        this.metrics.unparsed.add(["oversize"]);
        return this.failClosed ? FrameFate.Close : FrameFate.Pass;
      }
      return FrameFate.NeedMore;
    }
    if (peek.isResponse) {
      this.reading = Reading.Response;
      return this.after(this.responses.decide(peek, head, frameSize, oversize, this.arrived), this.responses.current);
    }
    this.reading = Reading.Request;
    return this.after(this.requests.decide(peek, head, frameSize, oversize, this.arrived), this.requests.current);
  }

  private after(fate: FrameFate, x: RocketMQExchange | null): FrameFate {
    if (fate == FrameFate.NeedMore) this.judging = x;
    return fate;
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    this.judging = null;
    const reading = this.reading;
    this.reading = Reading.Nothing;
    if (reading == Reading.Request) return this.requests.onFrame(body, held);
    if (reading == Reading.Response) return this.responses.onFrame(body, held);
    return null;
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.failClosed;
  }

  private notRemoting(reason: string): FrameFate {
    this.metrics.unparsed.add([reason]);
    return this.failClosed ? FrameFate.Close : FrameFate.Pass;
  }
}
