// What each Kafka API authorizes, as a broker with an authorizer does
// (KafkaApis): the operation on each kind of resource its requests name, and
// the cluster operation the request as a whole needs. The resources come
// from the generated scan (requestResources), so every topic, group and
// transactional id a request names is judged; this table only says which
// operation. An API missing here is not judged but refused (fail closed).
//
// Where the broker checks only the cluster (reassignments, leader election,
// log dirs, transaction markers) the topics named are judged too: a rule that
// denies a topic should not be walked around through an admin API.
import { ApiKey } from "../../assembly/kafka/api_keys";
import { LAST_API_KEY } from "../../assembly/kafka/api/registry";

// Kafka's AclOperation, as bits so a rule can name several.
export const OP_READ: i32 = 1;
export const OP_WRITE: i32 = 2;
export const OP_CREATE: i32 = 4;
export const OP_DELETE: i32 = 8;
export const OP_ALTER: i32 = 16;
export const OP_DESCRIBE: i32 = 32;
export const OP_CLUSTER_ACTION: i32 = 64;
export const OP_DESCRIBE_CONFIGS: i32 = 128;
export const OP_ALTER_CONFIGS: i32 = 256;
export const OP_IDEMPOTENT_WRITE: i32 = 512;
export const OP_CREATE_TOKENS: i32 = 1024;
export const OP_DESCRIBE_TOKENS: i32 = 2048;
export const OP_ALL: i32 = 4095;

// In bit order; "*" is every bit.
export const OPERATION_NAMES: string[] = [
  "Read", "Write", "Create", "Delete", "Alter", "Describe", "ClusterAction", "DescribeConfigs", "AlterConfigs",
  "IdempotentWrite", "CreateTokens", "DescribeTokens",
];

export function operationName(op: i32): string {
  for (let i = 0; i < OPERATION_NAMES.length; i++) if (op == 1 << i) return OPERATION_NAMES[i];
  return op == OP_ALL ? "*" : "";
}

// Operations an allow rule on `op` also allows, as in Kafka: Read, Write,
// Delete and Alter imply Describe; AlterConfigs implies DescribeConfigs.
export function impliedBy(op: i32): i32 {
  if (op == OP_DESCRIBE) return OP_READ | OP_WRITE | OP_DELETE | OP_ALTER;
  if (op == OP_DESCRIBE_CONFIGS) return OP_ALTER_CONFIGS;
  return 0;
}

// What one API authorizes. 0 = that kind of resource is not checked.
export class ApiAuthorization {
  constructor(
    readonly topic: i32,
    readonly group: i32,
    readonly transactionalId: i32,
    // Checked once per request, before its resources.
    readonly cluster: i32,
    // DescribeConfigs/AlterConfigs/IncrementalAlterConfigs: the operation
    // on whatever resource a config entry names (topic, group, broker).
    readonly configs: i32 = 0,
  ) {}

  // Nothing to check: the request passes whatever the rules say.
  get open(): bool {
    return this.topic == 0 && this.group == 0 && this.transactionalId == 0 && this.cluster == 0 && this.configs == 0;
  }
}

const R = OP_READ;
const W = OP_WRITE;
const D = OP_DESCRIBE;
const OPEN = new ApiAuthorization(0, 0, 0, 0);

function authorizationOf(key: i32): ApiAuthorization | null {
  switch (key) {
    case ApiKey.Produce: return new ApiAuthorization(W, 0, W, 0);
    case ApiKey.Fetch: return new ApiAuthorization(R, 0, 0, 0);
    case ApiKey.ListOffsets: return new ApiAuthorization(D, 0, 0, 0);
    case ApiKey.Metadata: return new ApiAuthorization(D, 0, 0, 0);
    case ApiKey.OffsetCommit: return new ApiAuthorization(R, R, 0, 0);
    case ApiKey.OffsetFetch: return new ApiAuthorization(D, D, 0, 0);
    // Share-coordinator keys (inter-broker) are judged as ClusterAction.
    case ApiKey.FindCoordinator: return new ApiAuthorization(0, D, D, 0);
    case ApiKey.JoinGroup:
    case ApiKey.Heartbeat:
    case ApiKey.LeaveGroup:
    case ApiKey.SyncGroup: return new ApiAuthorization(0, R, 0, 0);
    case ApiKey.DescribeGroups: return new ApiAuthorization(0, D, 0, 0);
    case ApiKey.ListGroups: return new ApiAuthorization(0, 0, 0, D);
    // Connecting and authenticating are never refused: a client must be
    // able to learn versions and log in before it can be told "denied".
    case ApiKey.SaslHandshake:
    case ApiKey.ApiVersions:
    case ApiKey.SaslAuthenticate:
    case ApiKey.GetTelemetrySubscriptions:
    case ApiKey.PushTelemetry:
    case ApiKey.DescribeCluster:
    // Lists what the caller may describe; the broker filters it.
    case ApiKey.ListTransactions: return OPEN;
    case ApiKey.CreateTopics: return new ApiAuthorization(OP_CREATE, 0, 0, 0);
    case ApiKey.DeleteTopics:
    case ApiKey.DeleteRecords: return new ApiAuthorization(OP_DELETE, 0, 0, 0);
    case ApiKey.InitProducerId: return new ApiAuthorization(0, 0, W, 0);
    case ApiKey.OffsetForLeaderEpoch: return new ApiAuthorization(D, 0, 0, 0);
    case ApiKey.AddPartitionsToTxn: return new ApiAuthorization(W, 0, W, 0);
    case ApiKey.AddOffsetsToTxn: return new ApiAuthorization(0, R, W, 0);
    case ApiKey.EndTxn: return new ApiAuthorization(0, 0, W, 0);
    case ApiKey.WriteTxnMarkers: return new ApiAuthorization(W, 0, 0, OP_CLUSTER_ACTION);
    case ApiKey.TxnOffsetCommit: return new ApiAuthorization(R, R, W, 0);
    // The resources ACL requests name are patterns of bindings, not accessed.
    case ApiKey.DescribeAcls: return new ApiAuthorization(0, 0, 0, D);
    case ApiKey.CreateAcls:
    case ApiKey.DeleteAcls: return new ApiAuthorization(0, 0, 0, OP_ALTER);
    case ApiKey.DescribeConfigs:
    case ApiKey.ListConfigResources: return new ApiAuthorization(0, 0, 0, key == ApiKey.ListConfigResources ? OP_DESCRIBE_CONFIGS : 0, OP_DESCRIBE_CONFIGS);
    case ApiKey.AlterConfigs:
    case ApiKey.IncrementalAlterConfigs: return new ApiAuthorization(0, 0, 0, 0, OP_ALTER_CONFIGS);
    case ApiKey.AlterReplicaLogDirs:
    case ApiKey.ElectLeaders:
    case ApiKey.AlterPartitionReassignments: return new ApiAuthorization(OP_ALTER, 0, 0, OP_ALTER);
    case ApiKey.DescribeLogDirs:
    case ApiKey.ListPartitionReassignments:
    case ApiKey.DescribeQuorum: return new ApiAuthorization(D, 0, 0, D);
    case ApiKey.CreatePartitions: return new ApiAuthorization(OP_ALTER, 0, 0, 0);
    case ApiKey.CreateDelegationToken:
    case ApiKey.RenewDelegationToken:
    case ApiKey.ExpireDelegationToken: return new ApiAuthorization(0, 0, 0, OP_CREATE_TOKENS);
    case ApiKey.DescribeDelegationToken: return new ApiAuthorization(0, 0, 0, OP_DESCRIBE_TOKENS);
    case ApiKey.DeleteGroups: return new ApiAuthorization(0, OP_DELETE, 0, 0);
    case ApiKey.OffsetDelete: return new ApiAuthorization(R, OP_DELETE, 0, 0);
    case ApiKey.DescribeClientQuotas: return new ApiAuthorization(0, 0, 0, OP_DESCRIBE_CONFIGS);
    case ApiKey.AlterClientQuotas: return new ApiAuthorization(0, 0, 0, OP_ALTER_CONFIGS);
    case ApiKey.DescribeUserScramCredentials: return new ApiAuthorization(0, 0, 0, D);
    case ApiKey.AlterUserScramCredentials:
    case ApiKey.UpdateFeatures:
    case ApiKey.UnregisterBroker:
    case ApiKey.AddRaftVoter:
    case ApiKey.RemoveRaftVoter:
    case ApiKey.UnregisterController: return new ApiAuthorization(0, 0, 0, OP_ALTER);
    case ApiKey.DescribeProducers: return new ApiAuthorization(R, 0, 0, 0);
    case ApiKey.DescribeTransactions: return new ApiAuthorization(0, 0, D, 0);
    case ApiKey.ConsumerGroupHeartbeat:
    case ApiKey.ShareGroupHeartbeat:
    case ApiKey.StreamsGroupHeartbeat:
    case ApiKey.StreamsGroupTopologyDescriptionUpdate: return new ApiAuthorization(D, R, 0, 0);
    case ApiKey.ConsumerGroupDescribe:
    case ApiKey.ShareGroupDescribe:
    case ApiKey.StreamsGroupDescribe: return new ApiAuthorization(0, D, 0, 0);
    case ApiKey.DescribeTopicPartitions: return new ApiAuthorization(D, 0, 0, 0);
    case ApiKey.ShareFetch:
    case ApiKey.ShareAcknowledge:
    case ApiKey.AlterShareGroupOffsets: return new ApiAuthorization(R, R, 0, 0);
    case ApiKey.DescribeShareGroupOffsets: return new ApiAuthorization(D, D, 0, 0);
    case ApiKey.DeleteShareGroupOffsets: return new ApiAuthorization(R, OP_DELETE, 0, 0);
    // Share-group state: brokers talking to the share coordinator.
    case ApiKey.InitializeShareGroupState:
    case ApiKey.ReadShareGroupState:
    case ApiKey.WriteShareGroupState:
    case ApiKey.DeleteShareGroupState:
    case ApiKey.ReadShareGroupStateSummary: return new ApiAuthorization(0, 0, 0, OP_CLUSTER_ACTION);
  }
  return null;
}

// By API key, built once; null for a key this table does not know.
const TABLE: Array<ApiAuthorization | null> = buildTable();

function buildTable(): Array<ApiAuthorization | null> {
  const out = new Array<ApiAuthorization | null>(LAST_API_KEY + 1);
  for (let k = 0; k <= LAST_API_KEY; k++) out[k] = authorizationOf(k);
  return out;
}

export function apiAuthorization(key: i32): ApiAuthorization | null {
  return key >= 0 && key <= LAST_API_KEY ? unchecked(TABLE[key]) : null;
}
