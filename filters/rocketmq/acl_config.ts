// The `acl` section of the rocketmq filter's configuration: topic rules by
// operation, first match wins. Same JSON shape as the kafka filter's
// (`acl: {defaultAction, rules: [{action, topics, operations}]}`), with
// RocketMQ's operations. See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { TopicAcl, TopicOperations } from "../../assembly/common/topic_acl";
import {
  ACK_MESSAGE, BATCH_ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME, CONSUMER_SEND_MSG_BACK, GET_EARLIEST_MSG_STORETIME,
  GET_MAX_OFFSET, GET_MIN_OFFSET, GET_ROUTEINFO_BY_TOPIC, LITE_PULL_MESSAGE, NOTIFICATION, PEEK_MESSAGE, POLLING_INFO,
  POP_MESSAGE, PULL_MESSAGE, QUERY_CONSUMER_OFFSET, RECALL_MESSAGE, SEARCH_OFFSET_BY_TIMESTAMP, SEND_BATCH_MESSAGE,
  SEND_MESSAGE, SEND_MESSAGE_V2, SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2, UPDATE_CONSUMER_OFFSET,
} from "../../assembly/rocketmq/request_codes";

// Operations on a topic, as bits so a rule can name several (in the order of
// OPERATIONS' names).
export const OP_SEND: i32 = 1;
export const OP_CONSUME: i32 = 2;
export const OP_ROUTE: i32 = 4;
export const OP_ALL: i32 = 7;

const OPERATIONS = new TopicOperations(["send", "consume", "route"]);

// The topic operation a request performs, 0 for requests the ACL ignores.
export function requestOperation(code: i32): i32 {
  switch (code) {
    case SEND_MESSAGE:
    case SEND_MESSAGE_V2:
    case SEND_BATCH_MESSAGE:
    case SEND_REPLY_MESSAGE:
    case SEND_REPLY_MESSAGE_V2:
    case RECALL_MESSAGE: return OP_SEND;
    case PULL_MESSAGE:
    case LITE_PULL_MESSAGE:
    case POP_MESSAGE:
    case PEEK_MESSAGE:
    case ACK_MESSAGE:
    case BATCH_ACK_MESSAGE:
    case CHANGE_MESSAGE_INVISIBLETIME:
    case NOTIFICATION:
    case POLLING_INFO:
    case QUERY_CONSUMER_OFFSET:
    case UPDATE_CONSUMER_OFFSET:
    case GET_MAX_OFFSET:
    case GET_MIN_OFFSET:
    case SEARCH_OFFSET_BY_TIMESTAMP:
    case GET_EARLIEST_MSG_STORETIME:
    case CONSUMER_SEND_MSG_BACK: return OP_CONSUME;
    case GET_ROUTEINFO_BY_TOPIC: return OP_ROUTE;
  }
  return 0;
}

export function operationName(op: i32): string {
  return OPERATIONS.name(op);
}

export class RocketMQAcl extends TopicAcl {
  constructor() {
    super(OPERATIONS);
  }

  static parse(root: ConfigReader): RocketMQAcl {
    const acl = new RocketMQAcl();
    acl.readSection(root);
    return acl;
  }

  // Whether any topic could be denied this operation: only then are such
  // requests read before they go on.
  mayDeny(op: i32): bool {
    return this.canDeny(op);
  }
}
