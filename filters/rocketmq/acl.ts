// Topic ACLs, enforced by request substitution (docs/architecture.md): a network filter
// cannot write to the client, so a denied request goes to the server as a
// stand-in it answers at once with the same opaque (GET_BROKER_CLUSTER_INFO:
// read-only; a cluster-mode proxy has no processor for it and answers
// REQUEST_CODE_NOT_SUPPORTED from its I/O thread, a broker the same from its
// admin processor, a name server with its cluster table), and the client
// gets, in place of that answer, NO_PERMISSION for its own request, in its
// serialization, with a remark naming the sidecar. A denied oneway request
// (UPDATE_CONSUMER_OFFSET from most clients) is dropped: nothing is sent,
// nothing comes back.
//
// Only the header is needed to decide (BATCH_ACK_MESSAGE: the body), and
// only denied requests are held; allowed ones go on as they arrive.
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { decodeCommand, encodeCommand } from "../../assembly/rocketmq/codec";
import { RemotingCommand } from "../../assembly/rocketmq/command";
import { FramePeek } from "../../assembly/rocketmq/frame";
import { readPopAck } from "../../assembly/rocketmq/pop_ack";
import { BATCH_ACK_MESSAGE, CONSUMER_SEND_MSG_BACK, GET_BROKER_CLUSTER_INFO, requestCodeLabel } from "../../assembly/rocketmq/request_codes";
import { NO_PERMISSION } from "../../assembly/rocketmq/response_codes";
import { isSendRequest, readSendMessage } from "../../assembly/rocketmq/send_message";
import { RocketMQAcl, operationName, requestOperation } from "./acl_config";
import { RocketMQMetrics } from "./metrics";

// The request code sent in place of a denied request.
export const STAND_IN_CODE: i32 = GET_BROKER_CLUSTER_INFO;

// What a denied request turns into.
export class Denial {
  constructor(
    // Sent upstream instead of the request (size prefix included); empty
    // for a oneway request.
    readonly standIn: Uint8Array,
    // Sent to the client instead of the answer to the stand-in; null for a
    // oneway request.
    readonly response: Uint8Array | null,
  ) {}
}

export class RocketMQAclEnforcer {
  readonly denied: CounterFamily = new CounterFamily("mqmesh_rocketmq_denied_requests_total", ["code", "topic"]);

  constructor(readonly acl: RocketMQAcl, private metrics: RocketMQMetrics) {}

  // From the request code alone: must this request be read before it goes on?
  wants(code: i32): bool {
    return this.acl.mayDeny(requestOperation(code));
  }

  // The decision needs the body, not only the header.
  needsBody(code: i32): bool {
    return code == BATCH_ACK_MESSAGE;
  }

  // `frame`: the request after its size prefix, at least its whole header
  // (its whole body too when needsBody). Null when allowed.
  check(frame: Uint8Array, peek: FramePeek): Denial | null {
    const op = requestOperation(peek.code);
    const decoded = decodeCommand(frame);
    const cmd = decoded.ok ? decoded.command! : null;
    let topics: string[] | null = null;
    if (cmd != null) topics = topicsOf(cmd);
    const codeLabel = requestCodeLabel(peek.code);
    let denied = "";
    if (topics == null) {
      // Unreadable: allowed only when no topic could be denied (never here:
      // wants() said one could).
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
    const original = cmd != null ? cmd! : fromPeek(peek);
    if (peek.isOneway) return new Denial(new Uint8Array(0), null);
    const standIn = RemotingCommand.request(STAND_IN_CODE, original.opaque, original.serializeType);
    standIn.language = original.language;
    standIn.version = original.version;
    const what = denied.length > 0 ? operationName(op) + " on topic " + denied : operationName(op) + " on an unreadable request";
    const answer = RemotingCommand.responseTo(original, NO_PERMISSION, "mqmesh: " + what + " denied by the sidecar's ACL");
    return new Denial(encodeCommand(standIn), encodeCommand(answer));
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
