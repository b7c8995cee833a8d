// Send and pull limits (README.md, "Rate limits"), enforced by delaying the
// client's connection, as a Kafka broker mutes a throttled channel: every
// request goes on, its messages and bytes are charged to the rules'
// buckets, and when a bucket is in debt beyond its burst the connection
// stops reading the client's further requests until the debt is repaid
// (Session.mute; the root's tick resumes it). Why not answer SYSTEM_BUSY
// (or FLOW_CONTROL): RocketMQ clients treat it as retryable and send again
// at once, often to another broker, so refusing multiplies the traffic
// instead of slowing it; a delayed connection slows every client, whatever
// its language, without an error.
//
// Sends are charged from their header (one message, the frame's body
// bytes) as they stream by; a batch send is held until complete and its
// messages counted. Pulls (PULL_MESSAGE, LITE_PULL_MESSAGE, POP_MESSAGE)
// are charged with the messages their successful answer delivers: the
// answer is held until complete, counted, and the delay applies to the
// requests after it.
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { Admit } from "../../assembly/common/token_bucket";
import { decodeBatch } from "../../assembly/rocketmq/batch";
import { RATE_FIELDS, RATE_PULL_MESSAGES, RATE_SEND_BYTES, RATE_SEND_MESSAGES, RocketMQLimits } from "../../assembly/rocketmq/limit_config";
import { RocketMQLimiter } from "../../assembly/rocketmq/limiter";
import { SUCCESS } from "../../assembly/rocketmq/response_codes";
import { countStoredMessages } from "../../assembly/rocketmq/stored_messages";
import { isSendRequest } from "../../assembly/rocketmq/send_message";
import { RemotingRequest, RemotingResponse, RocketMQExchange, RocketMQInterceptor, groupKey, topicKey } from "./exchange";
import { isBatchSend, isPullRequest } from "./request_kinds";

export class RocketMQLimitsPolicy extends RocketMQInterceptor {
  readonly limiter: RocketMQLimiter;
  private readonly sends: bool;
  private readonly pulls: bool;
  private readonly counts: StaticArray<i64> = new StaticArray<i64>(RATE_FIELDS.length);

  constructor(limits: RocketMQLimits, rootContextId: u32) {
    super();
    this.limiter = new RocketMQLimiter(limits, "rocketmq", rootContextId);
    this.sends = limits.limitsSends;
    this.pulls = limits.limitsPulls;
  }

  handlesRequest(code: i32, version: i16): bool {
    return (this.sends && isSendRequest(code)) || (this.pulls && isPullRequest(code));
  }

  handlesResponse(code: i32, version: i16): bool {
    return this.pulls && isPullRequest(code);
  }

  onRequestHead(x: RocketMQExchange, head: FrameHead): Verdict {
    const peek = x.header!;
    if (!peek.headerShown) return head.oversize && head.shownAll ? Verdict.Pass : Verdict.NeedMore;
    const topic = x.topic();
    const group = x.group();
    if (isPullRequest(x.api)) {
      // Charged with what the answer delivers; a oneway pull gets none.
      x.consumeTopic = topic == null ? "" : topic;
      x.consumeGroup = group == null ? "" : group;
      return Verdict.Pass;
    }
    // A batch is counted whole (one that cannot be held counts as one message).
    if (isBatchSend(peek) && !head.oversize) return Verdict.Hold;
    this.charge(x, topic, group, 1, <i64>(head.frameSize - 4 - peek.headerLength), RATE_SEND_MESSAGES);
    return Verdict.Pass;
  }

  // A batch send, whole.
  onRequest(x: RocketMQExchange, request: RemotingRequest): void {
    const peek = request.peek();
    const cmd = request.command();
    let messages: i64 = 1;
    let bytes: i64 = <i64>(request.bytes.length - 4 - peek.headerLength);
    if (cmd != null) {
      const batch = decodeBatch(cmd.body);
      if (batch.ok) {
        messages = <i64>batch.messages.length;
        bytes = 0;
        for (let i = 0; i < batch.messages.length; i++) bytes += <i64>unchecked(batch.messages[i]).body.length;
      }
    }
    this.charge(x, peek.ext(topicKey(x.api)), peek.ext(groupKey(x.api)), messages, bytes, RATE_SEND_MESSAGES);
  }

  // A pull answer that delivers messages is held to count them.
  onResponseHead(x: RocketMQExchange, head: FrameHead): Verdict {
    if (x.consumeTopic == null || x.responseCode != SUCCESS) return Verdict.Pass;
    if (!head.oversize) return Verdict.Hold;
    // Too large to hold: at least one message.
    this.charge(x, x.consumeTopic, x.consumeGroup, 1, 0, RATE_PULL_MESSAGES);
    return Verdict.Pass;
  }

  onResponse(x: RocketMQExchange, response: RemotingResponse): void {
    const cmd = response.command();
    if (cmd == null || x.consumeTopic == null) return;
    const n = countStoredMessages(cmd.body);
    if (n > 0) this.charge(x, x.consumeTopic, x.consumeGroup, <i64>n, 0, RATE_PULL_MESSAGES);
  }

  // Charges messages (and, for sends, bytes) and delays the connection by
  // the longest wait a rule asks for.
  private charge(x: RocketMQExchange, topic: string | null, group: string | null, messages: i64, bytes: i64, messagesField: i32): void {
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) counts[i] = 0;
    counts[messagesField] = messages;
    if (messagesField == RATE_SEND_MESSAGES) counts[RATE_SEND_BYTES] = bytes;
    const id = x.session.identity;
    // `group:` principal patterns match the group of the request charged.
    id.group = group == null ? "" : group!;
    const c = this.limiter.take(id, topic == null ? "" : topic!, id.group, counts, Admit.Deficit);
    if (c.waitMs > 0) {
      x.throttleMs = <i32>min<i64>(c.waitMs, i32.MAX_VALUE);
      x.session.mute(<u32>min<i64>(c.waitMs, u32.MAX_VALUE));
    }
  }
}
