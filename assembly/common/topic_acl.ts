// Topic ACLs as filters configure them:
//
//   "acl": { "defaultAction": "allow" | "deny",
//            "rules": [{ "action": "allow" | "deny", "topics": ["orders.*"], "operations": ["send"] }] }
//
// Topic patterns in the syntax of matcher.ts; operations named by the filter
// (TopicOperations), "*" for all of them, all when `operations` is absent. The
// first rule that names the operation and matches the topic decides, else the
// default action. Errors name the field (config.ts).
import { ConfigReader } from "./config";
import { MatcherList } from "./matcher";

// The operations a filter's rules may name: the i-th name is bit 1 << i.
export class TopicOperations {
  // The accepted names: the operations and "*".
  readonly names: string[];
  readonly all: i32;

  constructor(operations: string[]) {
    this.names = operations.concat(["*"]);
    this.all = (1 << operations.length) - 1;
  }

  // The name of one operation's bit (or "*" for all), "" for other values.
  name(op: i32): string {
    if (op == this.all) return "*";
    for (let i = 0; i < this.names.length - 1; i++) if (op == 1 << i) return this.names[i];
    return "";
  }

  // The bits of a name, -1 when the name is not one.
  bits(name: string): i32 {
    const at = this.names.indexOf(name);
    if (at < 0) return -1;
    return at == this.names.length - 1 ? this.all : 1 << at;
  }
}

export class TopicRule {
  constructor(readonly allow: bool, readonly topics: MatcherList, readonly operations: i32) {}
}

export class TopicAcl {
  // False when the configuration has no `acl` section: nothing is checked.
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: TopicRule[] = [];
  // Operations some rule (or the default) can deny.
  denies: i32 = 0;

  constructor(readonly operations: TopicOperations) {}

  // Reads root's `acl` section into this ACL and returns its reader for the
  // filter's own fields, or null when there is none.
  readSection(root: ConfigReader): ConfigReader | null {
    if (!root.has("acl")) {
      root.allow("acl");
      return null;
    }
    const c = root.obj("acl");
    this.enabled = true;
    this.defaultAllow = c.choice("defaultAction", ["allow", "deny"], 0) == 0;
    if (!this.defaultAllow) this.denies = this.operations.all;
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
        ops = this.operations.all;
      } else {
        const names = r.strList("operations");
        for (let o = 0; o < names.length; o++) {
          const bits = this.operations.bits(names[o]);
          if (bits < 0) r.fail("operations[" + o.toString() + "]", "expected one of " + this.operations.names.join(", "));
          else ops |= bits;
        }
        if (names.length == 0) r.fail("operations", "must list at least one operation");
      }
      if (!allow) this.denies |= ops;
      this.rules.push(new TopicRule(allow, topics, ops));
    }
    return c;
  }

  // Whether some rule (or the default) can deny one of these operations.
  canDeny(ops: i32): bool {
    return this.enabled && (this.denies & ops) != 0;
  }

  // First rule naming the operation and matching the topic decides. A topic
  // the filter cannot name (null) is allowed only when nothing could deny the
  // operation.
  allowed(topic: string | null, op: i32): bool {
    if (!this.enabled) return true;
    if (topic == null) return !this.canDeny(op);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = unchecked(this.rules[i]);
      if ((rule.operations & op) != 0 && rule.topics.matchesAny(topic!)) return rule.allow;
    }
    return this.defaultAllow;
  }
}
