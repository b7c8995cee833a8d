// Topic ACLs, enforced by request substitution: a network filter cannot
// write to the client, so a denied request is answered by the filter
// (shortCircuit): it goes to the server as the GET_BROKER_CLUSTER_INFO
// stand-in (exchange.ts), and the client gets, in place of that answer,
// NO_PERMISSION for its own request, in its serialization, with a remark
// naming the sidecar. A denied oneway request (UPDATE_CONSUMER_OFFSET from
// most clients) is dropped: nothing is sent, nothing comes back.
//
// Only the header is needed to decide (BATCH_ACK_MESSAGE: the body), and
// only denied requests are held; allowed ones go on as they arrive.
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { decodeCommand, encodeCommand } from "../../assembly/rocketmq/codec";
import { RemotingCommand } from "../../assembly/rocketmq/command";
import { FramePeek } from "../../assembly/rocketmq/frame";
import { readPopAck } from "../../assembly/rocketmq/pop_ack";
import { BATCH_ACK_MESSAGE, CONSUMER_SEND_MSG_BACK, requestCodeLabel } from "../../assembly/rocketmq/request_codes";
import { NO_PERMISSION } from "../../assembly/rocketmq/response_codes";
import { isSendRequest, readSendMessage } from "../../assembly/rocketmq/send_message";
import { RocketMQAcl, operationName, requestOperation } from "./acl_config";
import { RocketMQExchange, RocketMQInterceptor } from "./exchange";
import { RocketMQMetrics } from "./metrics";

const EMPTY = new Uint8Array(0);

export class RocketMQAclPolicy extends RocketMQInterceptor {
  readonly denied: CounterFamily = new CounterFamily("mqmesh_rocketmq_denied_requests_total", ["code", "topic"]);

  constructor(readonly acl: RocketMQAcl, private metrics: RocketMQMetrics) {
    super();
  }

  // Requests naming a topic that could be denied their operation.
  handlesRequest(code: i32, version: i16): bool {
    return this.acl.mayDeny(requestOperation(code));
  }

  // Judged once the header (BATCH_ACK_MESSAGE: the whole frame) is here; a
  // denied request is answered, and so held to be replaced.
  onRequestHead(x: RocketMQExchange, head: FrameHead): Verdict {
    const peek = x.header!;
    const need = x.api == BATCH_ACK_MESSAGE ? head.frameSize : 4 + peek.headerLength;
    if (head.bytes.length < need) {
      // What has not arrived of a frame too large to keep will never be seen.
      if (head.oversize && head.shownAll) return this.unenforceable(x);
      return Verdict.NeedMore;
    }
    const answer = this.check(head.bytes.subarray(0, need), peek);
    if (answer == null) return Verdict.Pass;
    // A frame too large to keep cannot be withheld.
    if (head.oversize) return this.unenforceable(x);
    x.shortCircuit(answer);
    return Verdict.Hold;
  }

  // A request the ACL must judge but cannot hold (larger than maxFrameBytes,
  // before its header was complete): the connection is closed instead.
  private unenforceable(x: RocketMQExchange): Verdict {
    this.metrics.unparsed.add(["oversize"]);
    this.denied.add([x.codeLabel, "_"]);
    return Verdict.Close;
  }

  // `frame`: the request after its size prefix, at least its whole header
  // (its whole body too for BATCH_ACK_MESSAGE). The answer to send back
  // (empty for a oneway request), or null when allowed.
  private check(frame: Uint8Array, peek: FramePeek): Uint8Array | null {
    const op = requestOperation(peek.code);
    const decoded = decodeCommand(frame);
    const cmd = decoded.ok ? decoded.command! : null;
    let topics: string[] | null = null;
    if (cmd != null) topics = topicsOf(cmd);
    const codeLabel = requestCodeLabel(peek.code);
    let denied = "";
    if (topics == null) {
      // Unreadable: allowed only when no topic could be denied (never here:
      // handlesRequest said one could).
      if (this.acl.allowed(null, op)) return null;
      this.denied.add([codeLabel, "_"]);
    } else {
      const names = topics!;
      let any = false;
      for (let i = 0; i < names.length; i++) {
        const topic = unchecked(names[i]);
        if (this.acl.allowed(topic, op)) continue;
        this.denied.add([codeLabel, this.metrics.topic(topic)]);
        if (!any) denied = topic;
        any = true;
      }
      if (!any) return null;
    }
    if (peek.isOneway) return EMPTY;
    const original = cmd != null ? cmd! : fromPeek(peek);
    const what = denied.length > 0 ? operationName(op) + " on topic " + denied : operationName(op) + " on an unreadable request";
    return encodeCommand(RemotingCommand.responseTo(original, NO_PERMISSION, "mqmesh: " + what + " denied by the sidecar's ACL"));
  }
}

// Every topic a request names; null when it should name one and does not.
function topicsOf(cmd: RemotingCommand): string[] | null {
  const code = cmd.code;
  if (isSendRequest(code)) {
    const send = readSendMessage(cmd);
    return send == null ? null : [send.topic];
  }
  if (code == BATCH_ACK_MESSAGE) {
    const targets = readPopAck(cmd);
    if (targets == null) return null;
    const out = new Array<string>(targets.length);
    for (let i = 0; i < targets.length; i++) unchecked((out[i] = unchecked(targets[i]).topic));
    return out;
  }
  const topic = cmd.extFields.get(code == CONSUMER_SEND_MSG_BACK ? "originTopic" : "topic");
  if (topic == null || topic.length == 0) return null;
  return [topic];
}

// What an undecodable request still tells: enough to answer it.
function fromPeek(peek: FramePeek): RemotingCommand {
  const c = RemotingCommand.request(peek.code, peek.opaque, peek.serializeType);
  c.flag = peek.flag;
  return c;
}
