// The `acl` section of the kafka filter's configuration: topic rules by
// operation, first match wins, and API allow/deny lists by Kafka API name.
// See README.md ("Topic ACLs").
import { ConfigReader } from "../../assembly/common/config";
import { TopicAcl, TopicOperations } from "../../assembly/common/topic_acl";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { LAST_API_KEY } from "../../assembly/kafka/api/registry";

// Operations on a topic, as bits so a rule can name several (in the order of
// OPERATIONS' names).
export const OP_PRODUCE: i32 = 1;
export const OP_CONSUME: i32 = 2;
export const OP_DESCRIBE: i32 = 4;
export const OP_CREATE: i32 = 8;
export const OP_DELETE: i32 = 16;
export const OP_ALL: i32 = 31;

const OPERATIONS = new TopicOperations(["produce", "consume", "describe", "create", "delete"]);

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

function apiKeyOf(name: string): i32 {
  for (let k = 0; k <= LAST_API_KEY; k++) if (apiKeyName(k) == name) return k;
  return -1;
}

export class AclConfig extends TopicAcl {
  // Non-empty: only these API keys are allowed.
  allowApis: Set<i32> = new Set<i32>();
  denyApis: Set<i32> = new Set<i32>();

  constructor() {
    super(OPERATIONS);
  }

  static parse(root: ConfigReader): AclConfig {
    const acl = new AclConfig();
    const c = acl.readSection(root);
    if (c != null) {
      AclConfig.readApis(c, "allowApis", acl.allowApis);
      AclConfig.readApis(c, "denyApis", acl.denyApis);
    }
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
    return this.canDeny(OP_ALL);
  }

  apiAllowed(apiKey: i32): bool {
    if (!this.enabled) return true;
    if (this.denyApis.has(apiKey)) return false;
    return this.allowApis.size == 0 || this.allowApis.has(apiKey);
  }

  // Describing a topic is implied by producing to, consuming from or
  // deleting it, as in Kafka (WRITE, READ and DELETE imply DESCRIBE).
  topicVisible(name: string | null): bool {
    return (
      this.allowed(name, OP_DESCRIBE) ||
      this.allowed(name, OP_PRODUCE) ||
      this.allowed(name, OP_CONSUME) ||
      this.allowed(name, OP_DELETE)
    );
  }
}
