// Requests: every one is counted by request code and opens an exchange
// (exchange.ts); one that expects a response waits for it by opaque; the
// pipeline's interceptors are asked about the client's requests. Sends are
// counted per topic and group from their header, read in place as the frame
// streams by; a batch send is kept for its body, and the other requests with
// topics and groups (pull, pop/ack, heartbeat, route lookup) are kept and
// decoded for per-topic, per-group and per-client metrics.
import { Session } from "../../assembly/common/framed_connection";
import { FrameFate } from "../../assembly/common/frame_stream";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { ById } from "../../assembly/common/pipeline/inflight";
import { Counter, getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { decodeBatch } from "../../assembly/rocketmq/batch";
import { RemotingCommand } from "../../assembly/rocketmq/command";
import { FramePeek } from "../../assembly/rocketmq/frame";
import { readHeartbeat } from "../../assembly/rocketmq/heartbeat";
import { readPopAck } from "../../assembly/rocketmq/pop_ack";
import { readPullMessage } from "../../assembly/rocketmq/pull_message";
import {
  ACK_MESSAGE, BATCH_ACK_MESSAGE, GET_ROUTEINFO_BY_TOPIC, HEART_BEAT, LITE_PULL_MESSAGE, PEEK_MESSAGE, POP_MESSAGE,
  PULL_MESSAGE, SEND_BATCH_MESSAGE, requestCodeLabel,
} from "../../assembly/rocketmq/request_codes";
import { readRouteRequestTopic } from "../../assembly/rocketmq/route";
import { V2_BATCH, isSendRequest, readSendMessage, usesShortNames } from "../../assembly/rocketmq/send_message";
import { RemotingRequest, RocketMQExchange, RocketMQPipeline, groupKey, topicKey } from "./exchange";
import { RocketMQMetrics } from "./metrics";
import { SendCounters } from "./send_counters";

// The extFields member of a request signed for the broker's ACL
// (AclClientRPCHook).
const ACCESS_KEY = "AccessKey";

// Requests whose body names topics, groups or a client, read whole.
function isKeptRequest(code: i32): bool {
  return code == PULL_MESSAGE || code == LITE_PULL_MESSAGE || code == POP_MESSAGE || code == PEEK_MESSAGE ||
    code == ACK_MESSAGE || code == BATCH_ACK_MESSAGE || code == HEART_BEAT || code == GET_ROUTEINFO_BY_TOPIC;
}

export class RequestObserver {
  // The request being read, from decide until it went by.
  current: RocketMQExchange | null = null;
  private readonly head: FrameHead = new FrameHead();
  private readonly held: RemotingRequest = new RemotingRequest();
  private readonly sends: SendCounters;

  constructor(
    private metrics: RocketMQMetrics,
    // Requests this side sent, waiting for the other side's response.
    private inflight: ById<RocketMQExchange>,
    // True for requests from the client; false for those the server sends
    // the client (counted apart, matched so their answers are not "unmatched").
    private fromClient: bool,
    private pipeline: RocketMQPipeline,
    private session: Session,
  ) {
    this.sends = new SendCounters(metrics);
  }

  // A new request. arrived: how many of its bytes have arrived.
  decide(peek: FramePeek, head: Uint8Array, frameSize: i32, oversize: bool, arrived: i32): FrameFate {
    const code = peek.code;
    const metrics = this.metrics;
    let x = this.inflight.spares.reuse();
    if (x == null) x = new RocketMQExchange(this.session);
    x.reset(peek.opaque, code, getCurrentTimeNanoseconds(), frameSize);
    x.oneway = peek.isOneway;
    if (!this.fromClient) {
      metrics.count(metrics.serverRequest(code));
      if (!peek.isOneway) this.wait(x);
      return FrameFate.Pass;
    }
    metrics.count(metrics.request(code));
    // The AccessKey that signs the client's requests is the caller's user.
    const identity = this.session.identity;
    if (identity.user.length == 0 && peek.headerShown) {
      const accessKey = peek.ext(ACCESS_KEY);
      if (accessKey != null) identity.user = accessKey;
    }
    if (peek.isOneway) metrics.count(metrics.onewayRequest(code));
    else this.wait(x);
    this.current = x;
    return this.judge(x, peek, head, frameSize, oversize, arrived);
  }

  // The interceptors' verdict on the head, then what the filter itself reads;
  // called again with more of the frame after a NeedMore.
  judge(x: RocketMQExchange, peek: FramePeek, bytes: Uint8Array, frameSize: i32, oversize: bool, arrived: i32): FrameFate {
    let verdict = Verdict.Pass;
    if (!this.pipeline.empty) {
      const head = this.head;
      head.bytes = bytes;
      head.frameSize = frameSize;
      head.arrived = arrived;
      head.oversize = oversize;
      x.header = peek;
      verdict = this.pipeline.requestHead(x, head);
      x.header = null;
    }
    if (verdict == Verdict.NeedMore) return FrameFate.NeedMore;
    if (verdict == Verdict.Close) return this.over(FrameFate.Close);
    if (verdict == Verdict.Hold) return FrameFate.Hold;
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return this.over(FrameFate.Pass);
    }
    const code = x.api;
    if (isSendRequest(code)) {
      // Counted from the header alone, unless the body is a batch.
      if (!peek.headerShown) return FrameFate.NeedMore;
      if (code == SEND_BATCH_MESSAGE || isBatch(peek, code)) return FrameFate.Observe;
      this.countSend(peek, frameSize);
      return this.over(FrameFate.Pass);
    }
    return isKeptRequest(code) ? FrameFate.Observe : this.over(FrameFate.Pass);
  }

  // A complete kept or held request (no size prefix). Returns what to send
  // instead of a held one.
  onFrame(frame: Uint8Array, held: bool): Uint8Array | null {
    const x = this.current;
    this.current = null;
    if (x == null) return null;
    const request = this.held.reset(frame);
    let replacement: Uint8Array | null = null;
    if (held) replacement = this.pipeline.request(x, request);
    if (!x.answered) this.observe(x, request);
    this.over(FrameFate.Pass);
    return replacement;
  }

  // The request went by: an oneway one's exchange is over.
  private over(fate: FrameFate): FrameFate {
    const x = this.current;
    this.current = null;
    if (x != null && x.oneway) {
      this.pipeline.done(x, false);
      this.inflight.spares.recycle(x);
    }
    return fate;
  }

  private wait(x: RocketMQExchange): void {
    const dropped = this.inflight.add(x);
    if (dropped != null) {
      this.pipeline.done(dropped, true);
      this.inflight.spares.recycle(dropped);
    }
  }

  private observe(x: RocketMQExchange, request: RemotingRequest): void {
    const code = x.api;
    if (isSendRequest(code)) {
      const peek = request.peek();
      if (code == SEND_BATCH_MESSAGE || isBatch(peek, code)) this.observeBatch(request.command());
      else this.countSend(peek, request.bytes.length);
      return;
    }
    if (!isKeptRequest(code)) return;
    const cmd = request.command();
    if (cmd == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    if (code == PULL_MESSAGE || code == LITE_PULL_MESSAGE) this.observePull(cmd, x);
    else if (code == HEART_BEAT) this.observeHeartbeat(cmd);
    else if (code == GET_ROUTEINFO_BY_TOPIC) this.observeRoute(cmd);
    else this.observePopAck(cmd, x);
  }

  // One message: its body is the frame after the header.
  private countSend(peek: FramePeek, frameSize: i32): void {
    const sends = this.sends;
    if (!sends.use(peek, topicKey(peek.code), groupKey(peek.code))) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.metrics.count(sends.messages!, 1);
    this.metrics.count(sends.bytes!, <u64>(frameSize - 4 - peek.headerLength));
  }

  private observeBatch(cmd: RemotingCommand | null): void {
    if (cmd == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const send = readSendMessage(cmd);
    if (send == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const labels = [this.metrics.topic(send.topic), this.metrics.group(send.producerGroup)];
    const batch = decodeBatch(cmd.body);
    if (!batch.ok) this.metrics.unparsed.add(["undecodable"]);
    let bytes: u64 = 0;
    for (let i = 0; i < batch.messages.length; i++) bytes += <u64>unchecked(batch.messages[i]).body.length;
    this.metrics.count(this.metrics.sentMessages.with(labels), <u64>batch.messages.length);
    this.metrics.count(this.metrics.sentBytes.with(labels), bytes);
  }

  private observePull(cmd: RemotingCommand, x: RocketMQExchange): void {
    const pull = readPullMessage(cmd);
    if (pull == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.consumeRequest(cmd.code, pull.topic, pull.consumerGroup, x);
  }

  private observePopAck(cmd: RemotingCommand, x: RocketMQExchange): void {
    const targets = readPopAck(cmd);
    if (targets == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const code = cmd.code;
    for (let i = 0; i < targets.length; i++) {
      const t = unchecked(targets[i]);
      if (code == POP_MESSAGE || code == PEEK_MESSAGE) {
        this.consumeRequest(code, t.topic, t.consumerGroup, x);
      } else if (code == ACK_MESSAGE || code == BATCH_ACK_MESSAGE) {
        this.metrics.count(this.metrics.acks.with([this.metrics.topic(t.topic), this.metrics.group(t.consumerGroup)]));
      }
    }
  }

  private consumeRequest(code: i32, topic: string, group: string, x: RocketMQExchange): void {
    const topicLabel = this.metrics.topic(topic);
    const groupLabel = this.metrics.group(group);
    this.metrics.count(this.metrics.consumeRequests.with([requestCodeLabel(code), topicLabel, groupLabel]));
    // Its response's messages count under these (none comes for oneway).
    if (!x.oneway) {
      x.topicLabel = topicLabel;
      x.groupLabel = groupLabel;
    }
  }

  private observeHeartbeat(cmd: RemotingCommand): void {
    const heartbeat = readHeartbeat(cmd);
    if (!heartbeat.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const clientId = heartbeat.info!.clientId;
    if (this.fromClient) this.session.identity.clientId = clientId;
    this.metrics.count(this.metrics.heartbeats.with1(this.metrics.client(clientId)));
  }

  private observeRoute(cmd: RemotingCommand): void {
    const topic = readRouteRequestTopic(cmd);
    if (topic == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.metrics.count(this.metrics.routeLookups.with1(this.metrics.topic(topic)));
  }
}

// The batch flag of a send header ("batch", or "m" in the short form).
function isBatch(peek: FramePeek, code: i32): bool {
  return peek.extIs(usesShortNames(code) ? V2_BATCH : "batch", "true");
}
