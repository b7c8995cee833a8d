// Every Kafka API key with its name, so metrics can name any API a client
// sends, including ones no codec here decodes. Numbers and names follow the
// apiKey/name of Kafka 4.x message JSON (key 74 is ListConfigResources,
// formerly ListClientMetricsResources; 4-7 are the removed ZooKeeper-era
// inter-broker APIs, kept because old peers may still send them).
export enum ApiKey {
  Produce = 0,
  Fetch = 1,
  ListOffsets = 2,
  Metadata = 3,
  LeaderAndIsr = 4,
  StopReplica = 5,
  UpdateMetadata = 6,
  ControlledShutdown = 7,
  OffsetCommit = 8,
  OffsetFetch = 9,
  FindCoordinator = 10,
  JoinGroup = 11,
  Heartbeat = 12,
  LeaveGroup = 13,
  SyncGroup = 14,
  DescribeGroups = 15,
  ListGroups = 16,
  SaslHandshake = 17,
  ApiVersions = 18,
  CreateTopics = 19,
  DeleteTopics = 20,
  DeleteRecords = 21,
  InitProducerId = 22,
  OffsetForLeaderEpoch = 23,
  AddPartitionsToTxn = 24,
  AddOffsetsToTxn = 25,
  EndTxn = 26,
  WriteTxnMarkers = 27,
  TxnOffsetCommit = 28,
  DescribeAcls = 29,
  CreateAcls = 30,
  DeleteAcls = 31,
  DescribeConfigs = 32,
  AlterConfigs = 33,
  AlterReplicaLogDirs = 34,
  DescribeLogDirs = 35,
  SaslAuthenticate = 36,
  CreatePartitions = 37,
  CreateDelegationToken = 38,
  RenewDelegationToken = 39,
  ExpireDelegationToken = 40,
  DescribeDelegationToken = 41,
  DeleteGroups = 42,
  ElectLeaders = 43,
  IncrementalAlterConfigs = 44,
  AlterPartitionReassignments = 45,
  ListPartitionReassignments = 46,
  OffsetDelete = 47,
  DescribeClientQuotas = 48,
  AlterClientQuotas = 49,
  DescribeUserScramCredentials = 50,
  AlterUserScramCredentials = 51,
  Vote = 52,
  BeginQuorumEpoch = 53,
  EndQuorumEpoch = 54,
  DescribeQuorum = 55,
  AlterPartition = 56,
  UpdateFeatures = 57,
  Envelope = 58,
  FetchSnapshot = 59,
  DescribeCluster = 60,
  DescribeProducers = 61,
  BrokerRegistration = 62,
  BrokerHeartbeat = 63,
  UnregisterBroker = 64,
  DescribeTransactions = 65,
  ListTransactions = 66,
  AllocateProducerIds = 67,
  ConsumerGroupHeartbeat = 68,
  ConsumerGroupDescribe = 69,
  ControllerRegistration = 70,
  GetTelemetrySubscriptions = 71,
  PushTelemetry = 72,
  AssignReplicasToDirs = 73,
  ListConfigResources = 74,
  DescribeTopicPartitions = 75,
  ShareGroupHeartbeat = 76,
  ShareGroupDescribe = 77,
  ShareFetch = 78,
  ShareAcknowledge = 79,
  AddRaftVoter = 80,
  RemoveRaftVoter = 81,
  UpdateRaftVoter = 82,
  InitializeShareGroupState = 83,
  ReadShareGroupState = 84,
  WriteShareGroupState = 85,
  DeleteShareGroupState = 86,
  ReadShareGroupStateSummary = 87,
  StreamsGroupHeartbeat = 88,
  StreamsGroupDescribe = 89,
  DescribeShareGroupOffsets = 90,
  AlterShareGroupOffsets = 91,
  DeleteShareGroupOffsets = 92,
  StreamsGroupTopologyDescriptionUpdate = 93,
  UnregisterController = 94,
}

// Name of an API key, or "Unknown" (never throws: keys come off the wire).
export function apiKeyName(key: i32): string {
  switch (key) {
    case 0: return "Produce";
    case 1: return "Fetch";
    case 2: return "ListOffsets";
    case 3: return "Metadata";
    case 4: return "LeaderAndIsr";
    case 5: return "StopReplica";
    case 6: return "UpdateMetadata";
    case 7: return "ControlledShutdown";
    case 8: return "OffsetCommit";
    case 9: return "OffsetFetch";
    case 10: return "FindCoordinator";
    case 11: return "JoinGroup";
    case 12: return "Heartbeat";
    case 13: return "LeaveGroup";
    case 14: return "SyncGroup";
    case 15: return "DescribeGroups";
    case 16: return "ListGroups";
    case 17: return "SaslHandshake";
    case 18: return "ApiVersions";
    case 19: return "CreateTopics";
    case 20: return "DeleteTopics";
    case 21: return "DeleteRecords";
    case 22: return "InitProducerId";
    case 23: return "OffsetForLeaderEpoch";
    case 24: return "AddPartitionsToTxn";
    case 25: return "AddOffsetsToTxn";
    case 26: return "EndTxn";
    case 27: return "WriteTxnMarkers";
    case 28: return "TxnOffsetCommit";
    case 29: return "DescribeAcls";
    case 30: return "CreateAcls";
    case 31: return "DeleteAcls";
    case 32: return "DescribeConfigs";
    case 33: return "AlterConfigs";
    case 34: return "AlterReplicaLogDirs";
    case 35: return "DescribeLogDirs";
    case 36: return "SaslAuthenticate";
    case 37: return "CreatePartitions";
    case 38: return "CreateDelegationToken";
    case 39: return "RenewDelegationToken";
    case 40: return "ExpireDelegationToken";
    case 41: return "DescribeDelegationToken";
    case 42: return "DeleteGroups";
    case 43: return "ElectLeaders";
    case 44: return "IncrementalAlterConfigs";
    case 45: return "AlterPartitionReassignments";
    case 46: return "ListPartitionReassignments";
    case 47: return "OffsetDelete";
    case 48: return "DescribeClientQuotas";
    case 49: return "AlterClientQuotas";
    case 50: return "DescribeUserScramCredentials";
    case 51: return "AlterUserScramCredentials";
    case 52: return "Vote";
    case 53: return "BeginQuorumEpoch";
    case 54: return "EndQuorumEpoch";
    case 55: return "DescribeQuorum";
    case 56: return "AlterPartition";
    case 57: return "UpdateFeatures";
    case 58: return "Envelope";
    case 59: return "FetchSnapshot";
    case 60: return "DescribeCluster";
    case 61: return "DescribeProducers";
    case 62: return "BrokerRegistration";
    case 63: return "BrokerHeartbeat";
    case 64: return "UnregisterBroker";
    case 65: return "DescribeTransactions";
    case 66: return "ListTransactions";
    case 67: return "AllocateProducerIds";
    case 68: return "ConsumerGroupHeartbeat";
    case 69: return "ConsumerGroupDescribe";
    case 70: return "ControllerRegistration";
    case 71: return "GetTelemetrySubscriptions";
    case 72: return "PushTelemetry";
    case 73: return "AssignReplicasToDirs";
    case 74: return "ListConfigResources";
    case 75: return "DescribeTopicPartitions";
    case 76: return "ShareGroupHeartbeat";
    case 77: return "ShareGroupDescribe";
    case 78: return "ShareFetch";
    case 79: return "ShareAcknowledge";
    case 80: return "AddRaftVoter";
    case 81: return "RemoveRaftVoter";
    case 82: return "UpdateRaftVoter";
    case 83: return "InitializeShareGroupState";
    case 84: return "ReadShareGroupState";
    case 85: return "WriteShareGroupState";
    case 86: return "DeleteShareGroupState";
    case 87: return "ReadShareGroupStateSummary";
    case 88: return "StreamsGroupHeartbeat";
    case 89: return "StreamsGroupDescribe";
    case 90: return "DescribeShareGroupOffsets";
    case 91: return "AlterShareGroupOffsets";
    case 92: return "DeleteShareGroupOffsets";
    case 93: return "StreamsGroupTopologyDescriptionUpdate";
    case 94: return "UnregisterController";
  }
  return "Unknown";
}

// Versions that never become flexible (SaslHandshake, OffsetDelete).
export const NEVER: i16 = 0x7fff;

// First flexible version of each API (KIP-482), from "flexibleVersions" of
// its request JSON; -1 when the key is unknown. Flexible versions use the
// request header v2 and the response header v1 and compact encodings.
export function firstFlexibleVersion(key: i32): i16 {
  switch (key) {
    case 0: return 9;
    case 1: return 12;
    case 2: return 6;
    case 3: return 9;
    case 4: return 4;
    case 5: return 2;
    case 6: return 6;
    case 7: return 3;
    case 8: return 8;
    case 9: return 6;
    case 10: return 3;
    case 11: return 6;
    case 12: return 4;
    case 13: return 4;
    case 14: return 4;
    case 15: return 5;
    case 16: return 3;
    case 17: return NEVER;
    case 18: return 3;
    case 19: return 5;
    case 20: return 4;
    case 21: return 2;
    case 22: return 2;
    case 23: return 4;
    case 24: return 3;
    case 25: return 3;
    case 26: return 3;
    case 27: return 1;
    case 28: return 3;
    case 29: return 2;
    case 30: return 2;
    case 31: return 2;
    case 32: return 4;
    case 33: return 2;
    case 34: return 2;
    case 35: return 2;
    case 36: return 2;
    case 37: return 2;
    case 38: return 2;
    case 39: return 2;
    case 40: return 2;
    case 41: return 2;
    case 42: return 2;
    case 43: return 2;
    case 44: return 1;
    case 45: return 0;
    case 46: return 0;
    case 47: return NEVER;
    case 48: return 1;
    case 49: return 1;
    case 50: return 0;
    case 51: return 0;
    case 52: return 0;
    case 53: return 1;
    case 54: return 1;
    case 55: return 0;
    case 56: return 0;
    case 57: return 0;
    case 58: return 0;
    case 59: return 0;
    case 60: return 0;
    case 61: return 0;
    case 62: return 0;
    case 63: return 0;
    case 64: return 0;
    case 65: return 0;
    case 66: return 0;
    case 67: return 0;
    case 68: return 0;
    case 69: return 0;
    case 70: return 0;
    case 71: return 0;
    case 72: return 0;
    case 73: return 0;
    case 74: return 0;
    case 75: return 0;
    case 76: return 0;
    case 77: return 0;
    case 78: return 0;
    case 79: return 0;
    case 80: return 0;
    case 81: return 0;
    case 82: return 0;
    case 83: return 0;
    case 84: return 0;
    case 85: return 0;
    case 86: return 0;
    case 87: return 0;
    case 88: return 0;
    case 89: return 0;
    case 90: return 0;
    case 91: return 0;
    case 92: return 0;
    case 93: return 0;
    case 94: return 0;
  }
  return -1;
}

export function isFlexible(key: i32, version: i16): bool {
  const f = firstFlexibleVersion(key);
  return f >= 0 && version >= f;
}
