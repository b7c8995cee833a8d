// The rocketmq-grpc filter's metrics. Labels ride in the name
// (`name;label=value`) and envoy-configs/stats-tags.yaml turns them into
// Prometheus labels.
import { CounterFamily, HistogramFamily, LabelCap, labelValue } from "../../assembly/common/labelled_metrics";
import { RocketMQGrpcConfig } from "./config";

export class RocketMQGrpcMetrics {
  readonly requests: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_requests_total", ["api"]);
  // One per response Status (a streaming ReceiveMessage has one per call), or
  // per non-OK grpc-status when the call carried no Status (code=GRPC_<n>).
  readonly responses: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_responses_total", ["api", "code"]);
  readonly latency: HistogramFamily = new HistogramFamily("mqmesh_rocketmq_grpc_request_duration_milliseconds", ["api"]);
  // Messages (and body bytes) the broker accepted: counted on an OK SendMessage response.
  readonly sentMessages: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_sent_messages_total", ["topic"]);
  readonly sentBytes: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_sent_bytes_total", ["topic"]);
  // Messages delivered to consumers in ReceiveMessage streams.
  readonly receivedMessages: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_received_messages_total", ["topic", "group"]);
  // Acknowledged messages (entries of OK AckMessage calls).
  readonly acks: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_acked_messages_total", ["topic", "group"]);
  readonly denied: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_denied_total", ["api", "topic"]);
  readonly endpointRewrites: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_endpoint_rewrites_total", ["api"]);
  // Messages let through without being understood, by reason.
  readonly unparsed: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_unparsed_messages_total", ["reason"]);

  private readonly topics: LabelCap;
  private readonly groups: LabelCap;
  private readonly perTopic: bool;

  constructor(config: RocketMQGrpcConfig) {
    this.perTopic = config.perTopicMetrics;
    this.topics = new LabelCap(config.maxTopics);
    this.groups = new LabelCap(config.maxGroups);
  }

  get wantsTopics(): bool {
    return this.perTopic;
  }

  topic(name: string): string {
    return this.topics.resolve(labelValue(name));
  }

  group(name: string): string {
    return this.groups.resolve(labelValue(name));
  }

  /** A SendMessage call's messages and bytes, per topic. */
  countSent(sent: TopicCounts | null): void {
    if (sent == null) return;
    for (let i = 0; i < sent.topics.length; i++) {
      const label = this.wantsTopics ? this.topic(sent.topics[i]) : "";
      this.sentMessages.add([label], sent.messages[i]);
      this.sentBytes.add([label], sent.bytes[i]);
    }
  }
}

// Topics of a request, each with its message count and body bytes.
export class TopicCounts {
  topics: string[] = [];
  messages: u64[] = [];
  bytes: u64[] = [];

  add(topic: string, bytes: i32): void {
    let i = this.topics.indexOf(topic);
    if (i < 0) {
      i = this.topics.length;
      this.topics.push(topic);
      this.messages.push(0);
      this.bytes.push(0);
    }
    this.messages[i] += 1;
    this.bytes[i] += <u64>bytes;
  }
}
