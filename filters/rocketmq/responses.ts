// Responses: matched to their exchange by opaque (remoting answers out of
// order), counted by request code and response code with the latency, given
// to the interceptors watching them (or swapped for the answer one of them
// made); successful pull and pop responses are read for the messages they
// carry.
import { FrameFate } from "../../assembly/common/frame_stream";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { ById } from "../../assembly/common/pipeline/inflight";
import { getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { FramePeek, splitFrame } from "../../assembly/rocketmq/frame";
import { LITE_PULL_MESSAGE, PEEK_MESSAGE, POP_MESSAGE, PULL_MESSAGE } from "../../assembly/rocketmq/request_codes";
import { SUCCESS } from "../../assembly/rocketmq/response_codes";
import { RemotingResponse, RocketMQExchange, RocketMQPipeline } from "./exchange";
import { RocketMQMetrics } from "./metrics";

function carriesMessages(code: i32): bool {
  return code == PULL_MESSAGE || code == LITE_PULL_MESSAGE || code == POP_MESSAGE || code == PEEK_MESSAGE;
}

function readI32(b: Uint8Array, at: i32): i32 {
  return (<i32>b[at] << 24) | (<i32>b[at + 1] << 16) | (<i32>b[at + 2] << 8) | b[at + 3];
}

export class ResponseObserver {
  // The exchange of the response being read (set in decide, used in onFrame).
  current: RocketMQExchange | null = null;
  private readonly head: FrameHead = new FrameHead();
  private readonly held: RemotingResponse = new RemotingResponse();
  // Reads the code of an answer the pipeline made.
  private readonly answerPeek: FramePeek = new FramePeek(false);

  constructor(
    private metrics: RocketMQMetrics,
    // Requests the other side sent, waiting for this side's response.
    private inflight: ById<RocketMQExchange>,
    // True for responses from the server (to the client's requests).
    private fromServer: bool,
    private pipeline: RocketMQPipeline,
  ) {}

  decide(peek: FramePeek, head: Uint8Array, frameSize: i32, oversize: bool, arrived: i32): FrameFate {
    const x = this.inflight.take(peek.opaque);
    if (x == null) {
      this.metrics.unparsed.add(["unmatched_response"]);
      return FrameFate.Pass;
    }
    // The client answering a request of the server: nothing more to count.
    if (!this.fromServer) return this.end(x, FrameFate.Pass);
    const metrics = this.metrics;
    // The client sees the code of the answer it gets.
    const answer = x.answer;
    const code = answer != null ? this.codeOf(answer) : peek.code;
    metrics.count(metrics.response(x.api, code));
    metrics.latencyOf(x.api).record((getCurrentTimeNanoseconds() - x.startNanos) / 1000000);
    this.current = x;
    if (answer != null) {
      if (!oversize) return FrameFate.Hold;
      metrics.unparsed.add(["oversize"]);
      return this.end(x, FrameFate.Pass);
    }
    x.responseCode = peek.code;
    return this.judge(x, head, frameSize, oversize, arrived);
  }

  // Called again with more of the frame after a NeedMore.
  judge(x: RocketMQExchange, bytes: Uint8Array, frameSize: i32, oversize: bool, arrived: i32): FrameFate {
    if (x.watching != 0) {
      const head = this.head;
      head.bytes = bytes;
      head.frameSize = frameSize;
      head.arrived = arrived;
      head.oversize = oversize;
      const verdict = this.pipeline.responseHead(x, head);
      if (verdict == Verdict.NeedMore) return FrameFate.NeedMore;
      if (verdict == Verdict.Close) return this.end(x, FrameFate.Close);
      if (verdict == Verdict.Hold) return FrameFate.Hold;
    }
    if (x.responseCode != SUCCESS || x.topicLabel == null || !carriesMessages(x.api)) return this.end(x, FrameFate.Pass);
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return this.end(x, FrameFate.Pass);
    }
    return FrameFate.Observe;
  }

  // A complete kept or held response (no size prefix).
  onFrame(frame: Uint8Array, held: bool): Uint8Array | null {
    const x = this.current;
    if (x == null) return null;
    const answer = x.answer;
    if (answer != null) {
      this.end(x, FrameFate.Pass);
      return answer;
    }
    if (x.responseCode == SUCCESS && x.topicLabel != null && carriesMessages(x.api)) this.countMessages(x, frame);
    const replacement = held ? this.pipeline.response(x, this.held.reset(frame)) : null;
    this.end(x, FrameFate.Pass);
    return replacement;
  }

  private end(x: RocketMQExchange, fate: FrameFate): FrameFate {
    this.current = null;
    this.pipeline.done(x, false);
    this.inflight.spares.recycle(x);
    return fate;
  }

  private codeOf(answer: Uint8Array): i32 {
    const p = this.answerPeek.read(answer.length >= 4 ? answer.subarray(4) : answer);
    return p.code;
  }

  // The body of a pull or pop response is the stored messages back to back,
  // each starting with its int32 total size (which counts itself).
  private countMessages(x: RocketMQExchange, frame: Uint8Array): void {
    const parts = splitFrame(frame);
    if (!parts.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const body = parts.body;
    let messages: u64 = 0;
    let bytes: u64 = 0;
    let pos = 0;
    while (pos + 4 <= body.length) {
      const size = readI32(body, pos);
      if (size < 4 || size > body.length - pos) break;
      messages++;
      bytes += <u64>size;
      pos += size;
    }
    // Whole messages are counted; a body that does not end on one is noted.
    if (pos != body.length) this.metrics.unparsed.add(["undecodable"]);
    const labels = [x.topicLabel!, x.groupLabel!];
    this.metrics.count(this.metrics.consumedMessages.with(labels), messages);
    this.metrics.count(this.metrics.consumedBytes.with(labels), bytes);
  }
}
