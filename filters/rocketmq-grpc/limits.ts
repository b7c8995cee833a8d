// Send and receive limits of the gRPC filter (README.md, "Rate limits"). A
// gRPC call can be answered, so a call over its limit is refused with the
// RocketMQ 5 status TOO_MANY_REQUESTS (42900), which the clients raise as
// their TooManyRequests error and retry with backoff:
//
//   SendMessage      the messages and body bytes per topic must fit the
//                    rules' buckets now (nothing is borrowed); a refused
//                    call takes nothing.
//   ReceiveMessage,  refused while a rule's receive bucket is in debt; the
//   PullMessage      messages each call delivers are charged as they come
//                    (a long poll's count is known only afterwards).
//
// The refused call reaches the proxy as an empty request of its method
// (rejected there without touching a topic), as a denied one does.
import { Identity } from "../../assembly/common/identity";
import { Admit } from "../../assembly/common/token_bucket";
import { Method } from "../../assembly/rocketmq/grpc/methods";
import { RATE_FIELDS, RATE_PULL_MESSAGES, RATE_SEND_BYTES, RATE_SEND_MESSAGES, RocketMQLimits } from "../../assembly/rocketmq/limit_config";
import { Charge, RocketMQLimiter } from "../../assembly/rocketmq/limiter";

export const CODE_TOO_MANY_REQUESTS: i32 = 42900;

export class GrpcLimits {
  readonly limiter: RocketMQLimiter;
  private readonly sends: bool;
  private readonly receives: bool;
  private readonly counts: StaticArray<i64> = new StaticArray<i64>(RATE_FIELDS.length);

  constructor(limits: RocketMQLimits, rootContextId: u32) {
    this.limiter = new RocketMQLimiter(limits, "rocketmq_grpc", rootContextId);
    this.sends = limits.limitsSends;
    this.receives = limits.limitsPulls;
  }

  // Whether calls of this method are checked (their request held).
  limits(m: Method): bool {
    if (m == Method.SendMessage) return this.sends;
    return this.receives && (m == Method.ReceiveMessage || m == Method.PullMessage);
  }

  // A SendMessage's messages and body bytes per topic; the refusal's
  // message, or null when the call goes on.
  admitSend(id: Identity, topics: string[], messages: u64[], bytes: u64[]): string | null {
    for (let i = 0; i < topics.length; i++) {
      this.clear();
      this.counts[RATE_SEND_MESSAGES] = <i64>messages[i];
      this.counts[RATE_SEND_BYTES] = <i64>bytes[i];
      const c = this.limiter.take(id, topics[i], "", this.counts, Admit.IfAvailable);
      if (c.refused) return refusal(c, "SendMessage on topic " + topics[i]);
    }
    return null;
  }

  // A ReceiveMessage or PullMessage: refused while the receive bucket is in debt.
  admitReceive(id: Identity, topic: string, group: string): string | null {
    this.clear();
    id.group = group;
    const c = this.limiter.take(id, topic, group, this.counts, Admit.WhileNotNegative, 1 << RATE_PULL_MESSAGES);
    return c.refused ? refusal(c, "receive on topic " + topic) : null;
  }

  // Messages a receive call delivered.
  received(id: Identity, topic: string, group: string, n: i32): void {
    this.clear();
    this.counts[RATE_PULL_MESSAGES] = <i64>n;
    id.group = group;
    this.limiter.take(id, topic, group, this.counts, Admit.Deficit);
  }

  private clear(): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = 0;
  }
}

function refusal(c: Charge, what: string): string {
  return "mqmesh: " + what + " exceeds the sidecar's rate limit " + c.rule + "; retry after " + max<i64>(c.waitMs, 1).toString() + " ms";
}
