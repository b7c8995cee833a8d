// The `acl` section: topic rules by operation, first match wins, shaped like
// the kafka filter's. A denied request never reaches the broker as sent: the
// filter replaces it with an empty request of the same method and answers
// the client with the method's response carrying Status FORBIDDEN (40300),
// which RocketMQ clients raise as a permission error (ForbiddenException in
// rocketmq-client-nodejs). See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { TopicAcl, TopicOperations } from "../../assembly/common/topic_acl";
import { Method } from "../../assembly/rocketmq/grpc/methods";

// Operations on a topic, as bits (in the order of OPERATIONS' names).
export const OP_SEND: i32 = 1;
export const OP_RECEIVE: i32 = 2;
export const OP_ACK: i32 = 4;
export const OP_ROUTE: i32 = 8;
export const OP_ALL: i32 = 15;

const OPERATIONS = new TopicOperations(["send", "receive", "ack", "route"]);

// The topic operation a method performs, 0 for methods the ACL does not check.
export function methodOperation(m: Method): i32 {
  switch (m) {
    case Method.SendMessage: return OP_SEND;
    case Method.ReceiveMessage:
    case Method.PullMessage: return OP_RECEIVE;
    case Method.AckMessage:
    case Method.ChangeInvisibleDuration:
    case Method.ForwardMessageToDeadLetterQueue: return OP_ACK;
    case Method.QueryRoute:
    case Method.QueryAssignment: return OP_ROUTE;
  }
  return 0;
}

export class AclConfig extends TopicAcl {
  constructor() {
    super(OPERATIONS);
  }

  static parse(root: ConfigReader): AclConfig {
    const acl = new AclConfig();
    acl.readSection(root);
    return acl;
  }

  // Whether requests of this method must be held and checked.
  checks(m: Method): bool {
    return this.canDeny(methodOperation(m));
  }
}
