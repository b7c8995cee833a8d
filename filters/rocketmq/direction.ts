// One direction of a remoting connection. Either side may send requests
// (the server asks the client for its running info, or tells it that the
// consumer ids of its group changed) and either side answers, so each frame
// is peeked for its flag first and then handed to the request or response
// observer of this direction.
import { FrameFate, FrameHandler } from "../../assembly/common/frame_stream";
import { PEEK_INVALID, PEEK_NEED_MORE, peekFrame } from "../../assembly/rocketmq/frame";
import { RocketMQAclEnforcer } from "./acl";
import { OnUnknown, RocketMQFilterConfig } from "./config";
import { InflightRequests } from "./inflight";
import { RocketMQMetrics } from "./metrics";
import { RequestObserver } from "./requests";
import { ResponseObserver } from "./responses";

// The header-length word, and the least a binary header needs for code,
// opaque and flag; a JSON header is at least "{}".
const MIN_FRAME: i32 = 4 + 2;

const enum Observing {
  Nothing,
  Request,
  Response,
}

export class DirectionObserver extends FrameHandler {
  private readonly requests: RequestObserver;
  private readonly responses: ResponseObserver;
  private observing: Observing = Observing.Nothing;

  constructor(
    private metrics: RocketMQMetrics,
    private config: RocketMQFilterConfig,
    acl: RocketMQAclEnforcer,
    fromClient: bool,
    // Requests sent in this direction, and in the other one.
    sent: InflightRequests,
    received: InflightRequests,
  ) {
    super();
    this.requests = new RequestObserver(metrics, sent, fromClient, acl);
    this.responses = new ResponseObserver(metrics, received, !fromClient, config.routeRewriteAddress);
  }

  decide(head: Uint8Array, frameSize: i32, oversize: bool): FrameFate {
    this.observing = Observing.Nothing;
    if (frameSize < MIN_FRAME) return this.notRemoting("short_frame");
    const peek = peekFrame(head, frameSize);
    if (peek.status == PEEK_INVALID) return this.notRemoting("bad_header");
    if (peek.status == PEEK_NEED_MORE) {
      // The whole frame is here and still too short for its header.
      if (head.length >= frameSize) return this.notRemoting("short_frame");
      // A header too large to keep: the frame goes through uncounted.
      if (oversize && head.length >= this.arrived) {
        this.metrics.unparsed.add(["oversize"]);
        return FrameFate.Pass;
      }
      return FrameFate.NeedMore;
    }
    const fate = peek.isResponse ? this.responses.decide(peek, oversize) : this.requests.decide(peek, head, frameSize, oversize, head.length >= this.arrived);
    if (fate == FrameFate.Observe || fate == FrameFate.Hold) this.observing = peek.isResponse ? Observing.Response : Observing.Request;
    return fate;
  }

  onFrame(body: Uint8Array, held: bool): Uint8Array | null {
    const observing = this.observing;
    this.observing = Observing.Nothing;
    if (observing == Observing.Request) return this.requests.onFrame(body);
    else if (observing == Observing.Response) return this.responses.onFrame(body);
    return null;
  }

  onDesync(size: i32): bool {
    this.metrics.unparsed.add(["bad_size"]);
    return this.config.onUnknown == OnUnknown.Close;
  }

  private notRemoting(reason: string): FrameFate {
    this.metrics.unparsed.add([reason]);
    return this.config.onUnknown == OnUnknown.Close ? FrameFate.Close : FrameFate.Pass;
  }
}
