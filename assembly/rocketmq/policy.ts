// The `acl` section both RocketMQ filters read (remoting and gRPC), and how
// it judges a Requirement (authorization.ts) for a caller (Identity):
//
//   "acl": {"defaultAction": "allow" | "deny",
//           "rules": [{"action": "deny", "principals": ["spiffe://.../sa/orders", "user:ak-*"],
//                      "topics": ["secret-*"], "groups": ["g-*"], "cluster": true,
//                      "operations": ["Pub", "Sub", "Create", "Update", "Delete", "Get", "List", "*"]}]}
//
// A rule applies to a requirement when its principals match the caller
// (principal.ts; absent = everyone), it names the requirement's resource
// (a topic pattern, a group pattern, or `cluster: true`), and one of its
// operations is among the requirement's actions: as RocketMQ's ACL 2.0 does,
// a route lookup (Pub, Sub or Get) is denied by a rule denying any one of
// them. The first rule that applies decides, else defaultAction: for topics
// always, for groups and the cluster once some rule names them (so an ACL
// written for topics alone keeps its meaning). A request passes when every
// requirement it names does.
//
// The filters' older operation names keep their meaning: `send` is Pub,
// `consume` (and the gRPC filter's `receive` and `ack`) is Sub, and both
// leave route lookups alone, which only `route` (or an ACL 2.0 action,
// or `*`) decides.
import { ConfigReader } from "../common/config";
import { Identity } from "../common/identity";
import { MatcherList } from "../common/matcher";
import { PrincipalPatterns } from "../common/principal";
import {
  ACTION_GET, ACTION_LIST, ACTION_PUB, ACTION_SUB, actionOf, isRetryTopic, Requirement, RESOURCE_CLUSTER,
  RESOURCE_GROUP, RESOURCE_TOPIC, retryGroup,
} from "./authorization";

// Operation bits: the seven ACL 2.0 actions (authorization.ts), then the
// older names, which a requirement carries besides its actions.
export const OP_SEND: i32 = 1 << 8; // Pub, except in a route lookup
export const OP_CONSUME: i32 = 1 << 9; // Sub, except in a route lookup
export const OP_ROUTE: i32 = 1 << 10; // a route lookup (whatever its actions)
export const OP_ALL: i32 = 0x7ff;

const ALIASES: string[] = ["send", "consume", "receive", "ack", "route"];
const ALIAS_BITS: i32[] = [OP_SEND, OP_CONSUME, OP_CONSUME, OP_CONSUME, OP_ROUTE];
const OPERATION_NAMES = "Pub, Sub, Create, Update, Delete, Get, List, send, consume, route or *";

// The bits of an operation name (case-insensitive), 0 if it is none.
export function operationBits(name: string, grpc: bool): i32 {
  if (name == "*") return OP_ALL;
  const action = actionOf(name);
  if (action != 0) return <i32>action;
  const lower = name.toLowerCase();
  for (let i = 0; i < ALIASES.length; i++) {
    if (unchecked(ALIASES[i]) != lower) continue;
    // receive and ack are the gRPC filter's names only.
    if (!grpc && (lower == "receive" || lower == "ack")) return 0;
    return unchecked(ALIAS_BITS[i]);
  }
  return 0;
}

// The operation bits a requirement carries: its actions, and the older
// names that meant them.
export function requirementBits(actions: u8, routeLookup: bool): i32 {
  let bits = <i32>actions;
  if (routeLookup) return bits | OP_ROUTE;
  if ((actions & ACTION_PUB) != 0) bits |= OP_SEND;
  if ((actions & ACTION_SUB) != 0) bits |= OP_CONSUME;
  return bits;
}

// What a listing shows of a topic or group: the caller sees it when it may
// list, describe or look up its route.
export const LISTING_BITS: i32 = <i32>(ACTION_LIST | ACTION_GET) | OP_ROUTE;

export class PolicyRule {
  topics: MatcherList = new MatcherList();
  groups: MatcherList = new MatcherList();
  cluster: bool = false;
  operations: i32 = OP_ALL;
  principals: PrincipalPatterns | null = null;
  constructor(readonly allow: bool) {}

  names(type: u8, name: string): bool {
    if (type == RESOURCE_TOPIC) return this.topics.matchesAny(name);
    if (type == RESOURCE_GROUP) return this.groups.matchesAny(name);
    return type == RESOURCE_CLUSTER && this.cluster;
  }
}

export class RocketMQPolicy {
  // False without an `acl` section: nothing is judged.
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: PolicyRule[] = [];
  // Some rule (or the default) denies: only then are requests judged, and
  // codes or methods the map does not know refused.
  denies: bool = false;
  // Whether some rule names groups, the cluster: defaultAction applies to a
  // kind of resource only then, so a topic-only ACL keeps its meaning.
  namesGroups: bool = false;
  namesCluster: bool = false;

  // Reads root's `acl` section. `grpc`: the gRPC filter (receive, ack).
  static read(root: ConfigReader, grpc: bool): RocketMQPolicy {
    const p = new RocketMQPolicy();
    if (!root.has("acl")) {
      root.allow("acl");
      return p;
    }
    const c = root.obj("acl");
    p.enabled = true;
    p.defaultAllow = c.choice("defaultAction", ["allow", "deny"], 0) == 0;
    p.denies = !p.defaultAllow;
    const rules = c.array("rules");
    for (let i = 0; i < rules.length; i++) {
      const rule = readRule(unchecked(rules[i]), grpc);
      if (!rule.allow) p.denies = true;
      if (rule.groups.length > 0) p.namesGroups = true;
      if (rule.cluster) p.namesCluster = true;
      p.rules.push(rule);
    }
    return p;
  }

  // Whether requirement `type`/`name` with operation bits `bits` (from
  // requirementBits) is allowed to the caller.
  allows(type: u8, name: string, bits: i32, caller: Identity): bool {
    if (!this.enabled) return true;
    if (type == RESOURCE_TOPIC && isRetryTopic(name)) {
      // A retry topic stands for its group (RocketMQ's own reading).
      type = RESOURCE_GROUP;
      name = retryGroup(name);
    }
    for (let i = 0; i < this.rules.length; i++) {
      const rule = unchecked(this.rules[i]);
      if ((rule.operations & bits) == 0 || !rule.names(type, name)) continue;
      const who = rule.principals;
      if (who != null && !who.matches(caller)) continue;
      return rule.allow;
    }
    if (type == RESOURCE_GROUP && !this.namesGroups) return true;
    if (type == RESOURCE_CLUSTER && !this.namesCluster) return true;
    return this.defaultAllow;
  }

  allowsRequirement(r: Requirement, routeLookup: bool, caller: Identity): bool {
    return this.allows(r.type, r.name, requirementBits(r.actions, routeLookup), caller);
  }
}

function readRule(r: ConfigReader, grpc: bool): PolicyRule {
  if (!r.has("action")) r.fail("action", "missing required field");
  const rule = new PolicyRule(r.choice("action", ["allow", "deny"], 1) == 0);
  rule.principals = PrincipalPatterns.read(r, "principals");
  const topics = readPatterns(r, "topics", rule.topics);
  const groups = readPatterns(r, "groups", rule.groups);
  rule.cluster = r.bool("cluster", false);
  if (topics == 0 && groups == 0 && !rule.cluster) {
    r.fail("topics", "a rule names the resources it applies to: topics, groups or cluster: true");
  }
  if (!r.has("operations")) {
    r.allow("operations");
    return rule;
  }
  const names = r.strList("operations");
  let ops = 0;
  for (let o = 0; o < names.length; o++) {
    const bits = operationBits(unchecked(names[o]), grpc);
    if (bits == 0) r.fail("operations[" + o.toString() + "]", "expected one of " + OPERATION_NAMES + (grpc ? ", receive, ack" : ""));
    ops |= bits;
  }
  if (names.length == 0) r.fail("operations", "must list at least one operation");
  rule.operations = ops;
  return rule;
}

// Reads the name patterns of `field` into `into`; how many there are.
function readPatterns(r: ConfigReader, field: string, into: MatcherList): i32 {
  if (!r.has(field)) {
    r.allow(field);
    return 0;
  }
  const patterns = r.strList(field);
  for (let i = 0; i < patterns.length; i++) {
    if (unchecked(patterns[i]).length == 0) r.fail(field + "[" + i.toString() + "]", "must not be empty");
    else into.add(unchecked(patterns[i]), i);
  }
  if (patterns.length == 0) r.fail(field, "must list at least one pattern (or omit the field)");
  return patterns.length;
}
