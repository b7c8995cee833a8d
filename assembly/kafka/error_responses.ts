// Error responses the generator cannot derive from the message JSON (see
// HANDWRITTEN_ERROR_RESPONSES in scripts/kafka-codegen/exceptions.ts); every
// other API's is generated next to its codec.
import {
  AlterReplicaLogDirPartitionResult, AlterReplicaLogDirTopicResult, AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse,
} from "./api/alter_replica_log_dirs";

// AlterReplicaLogDirs asks per log dir (Dirs[].Topics[].Partitions) and
// answers per topic (Results[].Partitions[]), with no error at the top: each
// requested partition gets the code.
export function alterReplicaLogDirsErrorResponse(m: AlterReplicaLogDirsRequest, v: i16, code: i16): AlterReplicaLogDirsResponse {
  const out = new AlterReplicaLogDirsResponse();
  for (let d = 0; d < m.dirs.length; d++) {
    const topics = m.dirs[d].topics;
    for (let t = 0; t < topics.length; t++) {
      const result = new AlterReplicaLogDirTopicResult();
      result.topicName = topics[t].name;
      const partitions = topics[t].partitions;
      for (let p = 0; p < partitions.length; p++) {
        const partition = new AlterReplicaLogDirPartitionResult();
        partition.partitionIndex = partitions[p];
        partition.errorCode = code;
        result.partitions.push(partition);
      }
      out.results.push(result);
    }
  }
  return out;
}
