// The `acl` section: topic rules by operation, first match wins, shaped like
// the kafka filter's. A denied request never reaches the broker as sent: the
// filter replaces it with an empty request of the same method and answers
// the client with the method's response carrying Status FORBIDDEN (40300),
// which RocketMQ clients raise as a permission error (ForbiddenException in
// rocketmq-client-nodejs). See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { MatcherList } from "../../assembly/common/matcher";
import { Method } from "../../assembly/rocketmq/grpc/methods";

export const OP_SEND: i32 = 1;
export const OP_RECEIVE: i32 = 2;
export const OP_ACK: i32 = 4;
export const OP_ROUTE: i32 = 8;
export const OP_ALL: i32 = 15;

const OP_NAMES: string[] = ["send", "receive", "ack", "route", "*"];
const OP_BITS: i32[] = [OP_SEND, OP_RECEIVE, OP_ACK, OP_ROUTE, OP_ALL];

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

export class AclRule {
  constructor(readonly allow: bool, readonly topics: MatcherList, readonly operations: i32) {}
}

export class AclConfig {
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: AclRule[] = [];
  // Operations some rule (or the default) can deny: only those are checked.
  denies: i32 = 0;

  static parse(root: ConfigReader): AclConfig {
    const acl = new AclConfig();
    if (!root.has("acl")) {
      root.allow("acl");
      return acl;
    }
    const c = root.obj("acl");
    acl.enabled = true;
    acl.defaultAllow = c.choice("defaultAction", ["allow", "deny"], 0) == 0;
    if (!acl.defaultAllow) acl.denies = OP_ALL;
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
      if (!allow) acl.denies |= ops;
      acl.rules.push(new AclRule(allow, topics, ops));
    }
    return acl;
  }

  // Whether requests of this method must be held and checked.
  checks(m: Method): bool {
    return this.enabled && (this.denies & methodOperation(m)) != 0;
  }

  allowed(op: i32, topic: string): bool {
    if (!this.enabled) return true;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = unchecked(this.rules[i]);
      if ((rule.operations & op) != 0 && rule.topics.matchesAny(topic)) return rule.allow;
    }
    return this.defaultAllow;
  }
}
