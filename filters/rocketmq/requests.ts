// Requests: every one is counted by request code; one that expects a
// response is remembered by opaque for its latency and response code; the
// ones with topics and groups (send, pull, pop/ack, heartbeat, route lookup)
// are read for per-topic, per-group and per-client metrics.
import { FrameFate } from "../../assembly/common/frame_stream";
import { getCurrentTimeNanoseconds } from "../../assembly/proxy";
import { decodeBatch } from "../../assembly/rocketmq/batch";
import { decodeCommand } from "../../assembly/rocketmq/codec";
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
import { isSendRequest, readSendMessage } from "../../assembly/rocketmq/send_message";
import { Denial, RocketMQAclEnforcer } from "./acl";
import { InflightRequest, InflightRequests } from "./inflight";
import { RocketMQMetrics } from "./metrics";

// Requests whose header (or body) names topics, groups or a client.
export function isObservedRequest(code: i32): bool {
  return isSendRequest(code) || code == PULL_MESSAGE || code == LITE_PULL_MESSAGE || code == POP_MESSAGE ||
    code == PEEK_MESSAGE || code == ACK_MESSAGE || code == BATCH_ACK_MESSAGE || code == HEART_BEAT ||
    code == GET_ROUTEINFO_BY_TOPIC;
}

export class RequestObserver {
  // The request being read (set in decide, used in onFrame); null for oneway.
  private current: InflightRequest | null = null;
  // A request the ACL denied (set in decide, replaced in onFrame).
  private denial: Denial | null = null;
  // decide() asked for more of this frame: it is called again for it.
  private resumed: bool = false;

  constructor(
    private metrics: RocketMQMetrics,
    // Requests this side sent, waiting for the other side's response.
    private inflight: InflightRequests,
    // True for requests from the client; false for those the server sends
    // the client (counted apart, matched so their answers are not "unmatched").
    private fromClient: bool,
    private acl: RocketMQAclEnforcer,
  ) {}

  // shownAll: head holds every byte of the frame that has arrived.
  decide(peek: FramePeek, head: Uint8Array, frameSize: i32, oversize: bool, shownAll: bool): FrameFate {
    if (this.resumed) {
      this.resumed = false;
      return this.decideAcl(peek, head, frameSize, oversize, shownAll);
    }
    const label = requestCodeLabel(peek.code);
    this.current = null;
    this.denial = null;
    if (!this.fromClient) {
      this.metrics.serverRequests.add([label]);
      if (!peek.isOneway) this.inflight.add(new InflightRequest(peek.opaque, peek.code, label, getCurrentTimeNanoseconds()));
      return FrameFate.Pass;
    }
    this.metrics.requests.add([label]);
    if (peek.isOneway) {
      this.metrics.oneway.add([label]);
    } else {
      const request = new InflightRequest(peek.opaque, peek.code, label, getCurrentTimeNanoseconds());
      this.inflight.add(request);
      this.current = request;
    }
    if (this.acl.wants(peek.code)) return this.decideAcl(peek, head, frameSize, oversize, shownAll);
    return this.afterAcl(peek, oversize);
  }

  // ACL check once the header (or the whole frame, when the decision needs
  // the body) is here; a denied request is held to be replaced.
  private decideAcl(peek: FramePeek, head: Uint8Array, frameSize: i32, oversize: bool, shownAll: bool): FrameFate {
    const need = this.acl.needsBody(peek.code) ? frameSize : 4 + peek.headerLength;
    if (head.length < need) {
      // What has not arrived of a frame too large to keep will never be seen.
      if (oversize && shownAll) return this.unenforceable(peek);
      this.resumed = true;
      return FrameFate.NeedMore;
    }
    const denial = this.acl.check(head.subarray(0, need), peek);
    if (denial == null) return this.afterAcl(peek, oversize);
    // A frame too large to keep cannot be withheld.
    if (oversize) return this.unenforceable(peek);
    const request = this.current;
    if (request != null) request.synthetic = denial.response;
    this.denial = denial;
    return FrameFate.Hold;
  }

  // A request the ACL must judge but cannot hold (larger than maxFrameBytes,
  // before its header was complete): the connection is closed instead.
  private unenforceable(peek: FramePeek): FrameFate {
    this.metrics.unparsed.add(["oversize"]);
    this.acl.denied.add([requestCodeLabel(peek.code), "_"]);
    return FrameFate.Close;
  }

  private afterAcl(peek: FramePeek, oversize: bool): FrameFate {
    if (oversize) {
      this.metrics.unparsed.add(["oversize"]);
      return FrameFate.Pass;
    }
    return isObservedRequest(peek.code) ? FrameFate.Observe : FrameFate.Pass;
  }

  // A complete observed or held request (no size prefix). Returns what to
  // send instead of a held one.
  onFrame(frame: Uint8Array): Uint8Array | null {
    const request = this.current;
    this.current = null;
    const denial = this.denial;
    if (denial != null) {
      this.denial = null;
      return denial.standIn;
    }
    const decoded = decodeCommand(frame);
    if (!decoded.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return null;
    }
    const cmd = decoded.command!;
    const code = cmd.code;
    if (isSendRequest(code)) this.observeSend(cmd);
    else if (code == PULL_MESSAGE || code == LITE_PULL_MESSAGE) this.observePull(cmd, request);
    else if (code == HEART_BEAT) this.observeHeartbeat(cmd);
    else if (code == GET_ROUTEINFO_BY_TOPIC) this.observeRoute(cmd);
    else this.observePopAck(cmd, request);
    return null;
  }

  private observeSend(cmd: RemotingCommand): void {
    const send = readSendMessage(cmd);
    if (send == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const labels = [this.metrics.topic(send.topic), this.metrics.group(send.producerGroup)];
    if (cmd.code == SEND_BATCH_MESSAGE || send.batch) {
      const batch = decodeBatch(cmd.body);
      if (!batch.ok) this.metrics.unparsed.add(["undecodable"]);
      let bytes: u64 = 0;
      for (let i = 0; i < batch.messages.length; i++) bytes += <u64>unchecked(batch.messages[i]).body.length;
      this.metrics.sentMessages.add(labels, <u64>batch.messages.length);
      this.metrics.sentBytes.add(labels, bytes);
      return;
    }
    this.metrics.sentMessages.add(labels, 1);
    this.metrics.sentBytes.add(labels, <u64>cmd.body.length);
  }

  private observePull(cmd: RemotingCommand, request: InflightRequest | null): void {
    const pull = readPullMessage(cmd);
    if (pull == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.consumeRequest(cmd.code, pull.topic, pull.consumerGroup, request);
  }

  private observePopAck(cmd: RemotingCommand, request: InflightRequest | null): void {
    const targets = readPopAck(cmd);
    if (targets == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    const code = cmd.code;
    for (let i = 0; i < targets.length; i++) {
      const t = unchecked(targets[i]);
      if (code == POP_MESSAGE || code == PEEK_MESSAGE) {
        this.consumeRequest(code, t.topic, t.consumerGroup, request);
      } else if (code == ACK_MESSAGE || code == BATCH_ACK_MESSAGE) {
        this.metrics.acks.add([this.metrics.topic(t.topic), this.metrics.group(t.consumerGroup)]);
      }
    }
  }

  private consumeRequest(code: i32, topic: string, group: string, request: InflightRequest | null): void {
    const topicLabel = this.metrics.topic(topic);
    const groupLabel = this.metrics.group(group);
    this.metrics.consumeRequests.add([requestCodeLabel(code), topicLabel, groupLabel]);
    if (request != null) {
      request.topic = topicLabel;
      request.group = groupLabel;
    }
  }

  private observeHeartbeat(cmd: RemotingCommand): void {
    const heartbeat = readHeartbeat(cmd);
    if (!heartbeat.ok) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.metrics.heartbeats.add([this.metrics.client(heartbeat.info!.clientId)]);
  }

  private observeRoute(cmd: RemotingCommand): void {
    const topic = readRouteRequestTopic(cmd);
    if (topic == null) {
      this.metrics.unparsed.add(["undecodable"]);
      return;
    }
    this.metrics.routeLookups.add([this.metrics.topic(topic)]);
  }
}
