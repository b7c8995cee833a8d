// The `acl` section of the kafka filter's configuration: rules on topics,
// groups, transactional ids and the cluster by Kafka operation and by who is
// asking, first match wins, and API allow/deny lists by Kafka API name. See
// README.md ("ACL").
import { ConfigReader } from "../../assembly/common/config";
import { Identity } from "../../assembly/common/identity";
import { MatcherList } from "../../assembly/common/matcher";
import { PrincipalPatterns } from "../../assembly/common/principal";
import { apiKeyName } from "../../assembly/kafka/api_keys";
import { LAST_API_KEY } from "../../assembly/kafka/api/registry";
import { OPERATION_NAMES, OP_ALL, OP_CREATE, OP_DELETE, OP_DESCRIBE, OP_READ, OP_WRITE, impliedBy } from "./acl_operations";

// The kinds of resource a rule names.
export const enum Kind {
  Topic = 0,
  Group = 1,
  TransactionalId = 2,
  Cluster = 3,
}
const KINDS = 4;

// The names of earlier configurations, kept with their meaning.
const ALIASES: string[] = ["produce", "consume", "describe", "create", "delete"];
const ALIAS_OPS: i32[] = [OP_WRITE, OP_READ, OP_DESCRIBE, OP_CREATE, OP_DELETE];

// The bits of an operation name (case-insensitive), -1 when it is none.
export function operationBits(name: string): i32 {
  if (name == "*") return OP_ALL;
  const lower = name.toLowerCase();
  for (let i = 0; i < OPERATION_NAMES.length; i++) if (OPERATION_NAMES[i].toLowerCase() == lower) return 1 << i;
  const alias = ALIASES.indexOf(lower);
  return alias < 0 ? -1 : ALIAS_OPS[alias];
}

export class AclRule {
  allow: bool = false;
  // null: applies to everyone.
  principals: PrincipalPatterns | null = null;
  // By Kind; null when the rule does not name that kind (cluster: an empty list).
  resources: StaticArray<MatcherList | null> = new StaticArray<MatcherList | null>(KINDS);
  operations: i32 = OP_ALL;

  appliesTo(kind: Kind, name: string, op: i32, who: Identity): bool {
    if ((this.operations & op) == 0) return false;
    const names = unchecked(this.resources[kind]);
    if (names == null) return false;
    if (kind != Kind.Cluster && !names.matchesAny(name)) return false;
    const principals = this.principals;
    return principals == null || principals.matches(who);
  }
}

export class AclConfig {
  // False when the configuration has no `acl` section: nothing is checked.
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: AclRule[] = [];
  // Non-empty: only these API keys are allowed.
  allowApis: Set<i32> = new Set<i32>();
  denyApis: Set<i32> = new Set<i32>();
  // By Kind: the operations some rule (or the default) can deny.
  private denies: StaticArray<i32> = new StaticArray<i32>(KINDS);
  // Some rule names principals: a verdict depends on who asks.
  byPrincipal: bool = false;

  static parse(root: ConfigReader): AclConfig {
    const acl = new AclConfig();
    if (!root.has("acl")) {
      root.allow("acl");
      return acl;
    }
    const c = root.obj("acl");
    acl.enabled = true;
    acl.defaultAllow = c.choice("defaultAction", ["allow", "deny"], 0) == 0;
    if (!acl.defaultAllow) for (let k = 0; k < KINDS; k++) acl.denies[k] = OP_ALL;
    const rules = c.array("rules");
    for (let i = 0; i < rules.length; i++) acl.addRule(rules[i]);
    readApis(c, "allowApis", acl.allowApis);
    readApis(c, "denyApis", acl.denyApis);
    return acl;
  }

  private addRule(r: ConfigReader): void {
    const rule = new AclRule();
    if (!r.has("action")) r.fail("action", "missing required field");
    rule.allow = r.choice("action", ["allow", "deny"], 1) == 0;
    rule.principals = PrincipalPatterns.read(r, "principals");
    if (rule.principals != null) this.byPrincipal = true;
    let named = false;
    named = readNames(r, "topics", rule, Kind.Topic) || named;
    named = readNames(r, "groups", rule, Kind.Group) || named;
    named = readNames(r, "transactionalIds", rule, Kind.TransactionalId) || named;
    if (r.bool("cluster", false)) {
      rule.resources[Kind.Cluster] = new MatcherList();
      named = true;
    }
    if (!named) r.fail("topics", "must list at least one topic pattern (or name groups, transactionalIds or cluster: true)");
    if (r.has("operations")) {
      const names = r.strList("operations");
      let ops = 0;
      for (let o = 0; o < names.length; o++) {
        const bits = operationBits(names[o]);
        if (bits < 0) r.fail("operations[" + o.toString() + "]", "expected one of " + OPERATION_NAMES.join(", ") + ", * (or produce, consume, describe, create, delete)");
        else ops |= bits;
      }
      if (names.length == 0) r.fail("operations", "must list at least one operation");
      rule.operations = ops;
    } else r.allow("operations");
    if (!rule.allow) {
      for (let k = 0; k < KINDS; k++) if (rule.resources[k] != null) this.denies[k] |= rule.operations;
    }
    this.rules.push(rule);
  }

  // Rules can refuse something: requests are judged.
  get judges(): bool {
    return this.enabled && (this.rules.length > 0 || !this.defaultAllow);
  }

  // Whether some rule (or the default) can deny `op` on this kind.
  canDeny(kind: Kind, op: i32): bool {
    return this.enabled && (unchecked(this.denies[kind]) & op) != 0;
  }

  apiAllowed(apiKey: i32): bool {
    if (!this.enabled) return true;
    if (this.denyApis.has(apiKey)) return false;
    return this.allowApis.size == 0 || this.allowApis.has(apiKey);
  }

  // The first rule naming the operation, the resource and the caller
  // decides, else the default. An allow rule on an operation that implies
  // this one (Write implies Describe) allows it too, as in Kafka; a deny
  // rule denies only what it names.
  allowed(kind: Kind, name: string, op: i32, who: Identity): bool {
    if (!this.enabled) return true;
    const verdict = this.firstMatch(kind, name, op, who);
    if (verdict == ALLOW || (verdict == NO_RULE && this.defaultAllow)) return true;
    const implied = impliedBy(op);
    for (let bit = 1; bit <= implied; bit <<= 1) {
      if ((implied & bit) != 0 && this.firstMatch(kind, name, bit, who) == ALLOW) return true;
    }
    return false;
  }

  private firstMatch(kind: Kind, name: string, op: i32, who: Identity): i32 {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = unchecked(rules[i]);
      if (rule.appliesTo(kind, name, op, who)) return rule.allow ? ALLOW : DENY;
    }
    return NO_RULE;
  }
}

const NO_RULE = 0;
const ALLOW = 1;
const DENY = 2;

function readNames(r: ConfigReader, field: string, rule: AclRule, kind: Kind): bool {
  if (!r.has(field)) {
    r.allow(field);
    return false;
  }
  const list = new MatcherList();
  const patterns = r.strList(field);
  for (let t = 0; t < patterns.length; t++) {
    if (patterns[t].length == 0) r.fail(field + "[" + t.toString() + "]", "must not be empty");
    else list.add(patterns[t], t);
  }
  if (patterns.length == 0) r.fail(field, "must list at least one pattern");
  rule.resources[kind] = list;
  return true;
}

function apiKeyOf(name: string): i32 {
  for (let k = 0; k <= LAST_API_KEY; k++) if (apiKeyName(k) == name) return k;
  return -1;
}

function readApis(c: ConfigReader, field: string, into: Set<i32>): void {
  const names = c.strList(field);
  for (let i = 0; i < names.length; i++) {
    const key = apiKeyOf(names[i]);
    if (key < 0) c.fail(field + "[" + i.toString() + "]", 'unknown Kafka API "' + names[i] + '" (names as in Kafka, e.g. Produce, DeleteTopics)');
    else into.add(key);
  }
}
