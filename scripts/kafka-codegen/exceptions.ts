// What the message JSON does not say by itself, written down by hand: the
// few resources without an entityType annotation, the resources whose type
// is a number on the wire, and the request arrays whose response
// counterpart neither shares their name nor echoes their key. The generator
// fails on anything it cannot place, so a new Kafka release that needs an
// entry here is noticed.

// entityType values and what they name. brokerId and producerId are
// annotated too but are not resources Kafka authorizes.
export const ENTITY_TYPES: Record<string, string | null> = {
  topicName: "Topic", groupId: "Group", transactionalId: "TransactionalId", brokerId: null, producerId: null,
};

export interface ExtraResource { api: string; path: string; type: string; pattern?: boolean }

export const EXTRA_RESOURCES: ExtraResource[] = [
  // Share-group state (the share coordinator's APIs) name their group without the annotation.
  ...["InitializeShareGroupState", "ReadShareGroupState", "WriteShareGroupState", "DeleteShareGroupState", "ReadShareGroupStateSummary"]
    .map((api) => ({ api, path: "GroupId", type: "Group" })),
  // Patterns, not names: which topics or ids they cover is known only to the broker.
  { api: "ConsumerGroupHeartbeat", path: "SubscribedTopicRegex", type: "Topic", pattern: true },
  { api: "StreamsGroupHeartbeat", path: "Topology.Subtopologies.SourceTopicRegex", type: "Topic", pattern: true },
  { api: "ListTransactions", path: "TransactionalIdPattern", type: "TransactionalId", pattern: true },
];

// A resource whose type is given by a sibling number: the config APIs'
// ConfigResource type, the ACL APIs' resource type, FindCoordinator's key type.
// Numberings (DynamicFamily in assembly/kafka/resources.ts) differ per family.
export interface DynamicResource { api: string; typePath: string; namePath: string; family: "Config" | "Acl" | "Coordinator"; pattern?: boolean }

const configs = (api: string): DynamicResource => ({ api, typePath: "Resources.ResourceType", namePath: "Resources.ResourceName", family: "Config" });
export const DYNAMIC_RESOURCES: DynamicResource[] = [
  configs("DescribeConfigs"), configs("AlterConfigs"), configs("IncrementalAlterConfigs"),
  // ACL bindings and filters name resource patterns; Kafka authorizes these APIs on the cluster.
  { api: "CreateAcls", typePath: "Creations.ResourceType", namePath: "Creations.ResourceName", family: "Acl", pattern: true },
  { api: "DeleteAcls", typePath: "Filters.ResourceTypeFilter", namePath: "Filters.ResourceNameFilter", family: "Acl", pattern: true },
  { api: "DescribeAcls", typePath: "ResourceTypeFilter", namePath: "ResourceNameFilter", family: "Acl", pattern: true },
  // v0 has no KeyType: its key is a group (family numbering 0).
  { api: "FindCoordinator", typePath: "KeyType", namePath: "Key", family: "Coordinator" },
  { api: "FindCoordinator", typePath: "KeyType", namePath: "CoordinatorKeys", family: "Coordinator" },
];

// Request array -> response array pairs the generator cannot find by name or
// key. "Positional" ones answer entry for entry in order and echo no key, so
// their entries cannot be dropped from a request one by one. A null response:
// the array is answered by nothing, though its entries echo a key that is.
// `key` names the response field that takes a request entry that is a bare value.
export interface ResponseMatch { api: string; request: string; response: string | null; positional?: boolean; key?: string }

export const RESPONSE_MATCHES: ResponseMatch[] = [
  // Topics the fetch session should stop fetching: no answer, no data.
  { api: "Fetch", request: "ForgottenTopicsData", response: null },
  { api: "ShareFetch", request: "ForgottenTopicsData", response: null },
  { api: "FindCoordinator", request: "CoordinatorKeys", response: "Coordinators", key: "Key" },
  { api: "CreateAcls", request: "Creations", response: "Results", positional: true },
  { api: "DeleteAcls", request: "Filters", response: "FilterResults", positional: true },
];

// Response fields that carry a per-entry or top-level error code. Others
// named like one (CreateTopics' TopicConfigErrorCode, ShareFetch's
// AcknowledgeErrorCode) describe something else and keep their default.
export const ERROR_CODE_FIELDS = new Set(["ErrorCode", "PartitionErrorCode"]);

// Names of int32 fields that are a partition index, however a message spells it.
export const PARTITION_FIELDS = new Set(["Partition", "PartitionIndex", "Index", "PartitionId", "Partitions", "PartitionIndexes"]);

// APIs whose error response is written by hand (assembly/kafka/error_responses.ts):
// AlterReplicaLogDirs answers per topic what it asks per log dir.
export const HANDWRITTEN_ERROR_RESPONSES = new Set(["AlterReplicaLogDirs"]);
