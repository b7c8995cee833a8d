// The `acl` section of the rocketmq filter's configuration: topic rules by
// operation, first match wins. Same JSON shape as the kafka filter's
// (`acl: {defaultAction, rules: [{action, topics, operations}]}`), with
// RocketMQ's operations. See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { MatcherList } from "../../assembly/common/matcher";
import {
  ACK_MESSAGE, BATCH_ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME, CONSUMER_SEND_MSG_BACK, GET_EARLIEST_MSG_STORETIME,
  GET_MAX_OFFSET, GET_MIN_OFFSET, GET_ROUTEINFO_BY_TOPIC, LITE_PULL_MESSAGE, NOTIFICATION, PEEK_MESSAGE, POLLING_INFO,
  POP_MESSAGE, PULL_MESSAGE, QUERY_CONSUMER_OFFSET, RECALL_MESSAGE, SEARCH_OFFSET_BY_TIMESTAMP, SEND_BATCH_MESSAGE,
  SEND_MESSAGE, SEND_MESSAGE_V2, SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2, UPDATE_CONSUMER_OFFSET,
} from "../../assembly/rocketmq/request_codes";

// Operations on a topic, as bits so a rule can name several.
export const OP_SEND: i32 = 1;
export const OP_CONSUME: i32 = 2;
export const OP_ROUTE: i32 = 4;
export const OP_ALL: i32 = 7;

const OP_NAMES: string[] = ["send", "consume", "route", "*"];
const OP_BITS: i32[] = [OP_SEND, OP_CONSUME, OP_ROUTE, OP_ALL];

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
  const at = OP_BITS.indexOf(op);
  return at < 0 ? "" : OP_NAMES[at];
}

export class AclRule {
  constructor(readonly allow: bool, readonly topics: MatcherList, readonly operations: i32) {}
}

export class RocketMQAcl {
  // False when the configuration has no `acl` section: nothing is checked.
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: AclRule[] = [];

  static parse(root: ConfigReader): RocketMQAcl {
    const acl = new RocketMQAcl();
    if (!root.has("acl")) {
      root.allow("acl");
      return acl;
    }
    const c = root.obj("acl");
    acl.enabled = true;
    acl.defaultAllow = c.choice("defaultAction", ["allow", "deny"], 0) == 0;
    const rules = c.array("rules");
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      const allow = r.choice("action", ["allow", "deny"], 1) == 0;
      if (!r.has("action")) r.fail("action", "missing required field");
      const topics = new MatcherList();
      const patterns = r.strList("topics");
      for (let t = 0; t < patterns.length; t++) {
        if (patterns[t].length == 0) r.fail("topics[" + t.toString() + "]", "must not be empty");
        else topics.add(patterns[t], i);
      }
      if (!r.has("topics") || patterns.length == 0) r.fail("topics", "must list at least one topic pattern");
      let ops = 0;
      if (!r.has("operations")) {
        r.allow("operations");
        ops = OP_ALL;
      } else {
        const names = r.strList("operations");
        for (let o = 0; o < names.length; o++) {
          const at = OP_NAMES.indexOf(names[o]);
          if (at < 0) r.fail("operations[" + o.toString() + "]", "expected one of " + OP_NAMES.join(", "));
          else ops |= OP_BITS[at];
        }
        if (names.length == 0) r.fail("operations", "must list at least one operation");
      }
      acl.rules.push(new AclRule(allow, topics, ops));
    }
    return acl;
  }

  // Whether any topic could be denied this operation: only then are such
  // requests read before they go on.
  mayDeny(op: i32): bool {
    if (!this.enabled || op == 0) return false;
    if (!this.defaultAllow) return true;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule.allow && (rule.operations & op) != 0) return true;
    }
    return false;
  }

  // The first rule naming the operation and matching the topic decides. A
  // request whose topic cannot be read (name null) is allowed only when no
  // topic could be denied the operation.
  allowed(topic: string | null, op: i32): bool {
    if (!this.enabled) return true;
    if (topic == null) return !this.mayDeny(op);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if ((rule.operations & op) != 0 && rule.topics.matchesAny(topic!)) return rule.allow;
    }
    return this.defaultAllow;
  }
}
