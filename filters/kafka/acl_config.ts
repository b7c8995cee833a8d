// The `acl` section of the kafka filter's configuration: topic rules by
// operation, first match wins, and API allow/deny lists by Kafka API name.
// See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { MatcherList } from "../../assembly/common/matcher";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";

// Operations on a topic, as bits so a rule can name several.
export const OP_PRODUCE: i32 = 1;
export const OP_CONSUME: i32 = 2;
export const OP_DESCRIBE: i32 = 4;
export const OP_CREATE: i32 = 8;
export const OP_DELETE: i32 = 16;
export const OP_ALL: i32 = 31;

const OP_NAMES: string[] = ["produce", "consume", "describe", "create", "delete", "*"];
const OP_BITS: i32[] = [OP_PRODUCE, OP_CONSUME, OP_DESCRIBE, OP_CREATE, OP_DELETE, OP_ALL];

// The topic operation an API performs, 0 for APIs that name no topic.
export function apiOperation(apiKey: i32): i32 {
  switch (apiKey) {
    case ApiKey.Produce: return OP_PRODUCE;
    case ApiKey.Fetch:
    case ApiKey.ListOffsets:
    case ApiKey.OffsetCommit:
    case ApiKey.OffsetFetch: return OP_CONSUME;
    case ApiKey.Metadata:
    case ApiKey.DescribeConfigs: return OP_DESCRIBE;
    case ApiKey.CreateTopics: return OP_CREATE;
    case ApiKey.DeleteTopics: return OP_DELETE;
  }
  return 0;
}

const LAST_API_KEY: i32 = 92;

function apiKeyOf(name: string): i32 {
  for (let k = 0; k <= LAST_API_KEY; k++) if (apiKeyName(k) == name) return k;
  return -1;
}

export class AclRule {
  constructor(readonly allow: bool, readonly topics: MatcherList, readonly operations: i32) {}
}

export class AclConfig {
  // False when the configuration has no `acl` section: nothing is checked.
  enabled: bool = false;
  defaultAllow: bool = true;
  rules: AclRule[] = [];
  // Non-empty: only these API keys are allowed.
  allowApis: Set<i32> = new Set<i32>();
  denyApis: Set<i32> = new Set<i32>();

  static parse(root: ConfigReader): AclConfig {
    const acl = new AclConfig();
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
    AclConfig.readApis(c, "allowApis", acl.allowApis);
    AclConfig.readApis(c, "denyApis", acl.denyApis);
    return acl;
  }

  private static readApis(c: ConfigReader, field: string, into: Set<i32>): void {
    const names = c.strList(field);
    for (let i = 0; i < names.length; i++) {
      const key = apiKeyOf(names[i]);
      if (key < 0) c.fail(field + "[" + i.toString() + "]", 'unknown Kafka API "' + names[i] + '" (names as in Kafka, e.g. Produce, DeleteTopics)');
      else into.add(key);
    }
  }

  // Topic rules can deny something (so responses must be filtered).
  get checksTopics(): bool {
    if (!this.enabled) return false;
    if (!this.defaultAllow) return true;
    for (let i = 0; i < this.rules.length; i++) if (!this.rules[i].allow) return true;
    return false;
  }

  apiAllowed(apiKey: i32): bool {
    if (!this.enabled) return true;
    if (this.denyApis.has(apiKey)) return false;
    return this.allowApis.size == 0 || this.allowApis.has(apiKey);
  }

  // First rule naming the operation and matching the topic decides. A
  // topic known only by an id the filter has not seen named (name null) is
  // allowed only when nothing could deny the operation.
  topicAllowed(name: string | null, op: i32): bool {
    if (!this.enabled) return true;
    if (name == null) return this.unknownAllowed(op);
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if ((rule.operations & op) != 0 && rule.topics.matchesAny(name!)) return rule.allow;
    }
    return this.defaultAllow;
  }

  // Describing a topic is implied by producing to, consuming from or
  // deleting it, as in Kafka (WRITE, READ and DELETE imply DESCRIBE).
  topicVisible(name: string | null): bool {
    return (
      this.topicAllowed(name, OP_DESCRIBE) ||
      this.topicAllowed(name, OP_PRODUCE) ||
      this.topicAllowed(name, OP_CONSUME) ||
      this.topicAllowed(name, OP_DELETE)
    );
  }

  private unknownAllowed(op: i32): bool {
    if (!this.defaultAllow) return false;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      if (!rule.allow && (rule.operations & op) != 0) return false;
    }
    return true;
  }
}
