// The rocketmq filter's metrics. Labels ride in the name
// (`metric;label=value`) and envoy-configs/stats-tags.yaml turns them into
// Prometheus labels. Request and response codes are bounded label sets
// (unknown codes are "other"); topics, groups and client ids are capped.
import { CounterFamily, HistogramFamily, LabelCap, labelValue } from "../../assembly/common/labelled_metrics";
import { Gauge } from "../../assembly/proxy";
import { RocketMQFilterConfig } from "./config";

const P = "mqmesh_rocketmq_";

export class RocketMQMetrics {
  // Requests from the client, by request code.
  readonly requests: CounterFamily = new CounterFamily(P + "requests_total", ["code"]);
  // Responses to them, by request code and response code.
  readonly responses: CounterFamily = new CounterFamily(P + "responses_total", ["code", "result"]);
  readonly latency: HistogramFamily = new HistogramFamily(P + "request_duration_milliseconds", ["code"]);
  readonly oneway: CounterFamily = new CounterFamily(P + "oneway_requests_total", ["code"]);
  // Requests the server sends to the client (consumer ids changed, transaction checks...).
  readonly serverRequests: CounterFamily = new CounterFamily(P + "server_requests_total", ["code"]);
  readonly sentMessages: CounterFamily = new CounterFamily(P + "sent_messages_total", ["topic", "group"]);
  readonly sentBytes: CounterFamily = new CounterFamily(P + "sent_bytes_total", ["topic", "group"]);
  // PULL_MESSAGE, LITE_PULL_MESSAGE, POP_MESSAGE, PEEK_MESSAGE requests.
  readonly consumeRequests: CounterFamily = new CounterFamily(P + "consume_requests_total", ["code", "topic", "group"]);
  // Messages in successful pull/pop responses.
  readonly consumedMessages: CounterFamily = new CounterFamily(P + "consumed_messages_total", ["topic", "group"]);
  readonly consumedBytes: CounterFamily = new CounterFamily(P + "consumed_bytes_total", ["topic", "group"]);
  readonly acks: CounterFamily = new CounterFamily(P + "acks_total", ["topic", "group"]);
  readonly heartbeats: CounterFamily = new CounterFamily(P + "heartbeats_total", ["client_id"]);
  readonly routeLookups: CounterFamily = new CounterFamily(P + "route_lookups_total", ["topic"]);
  // GET_ROUTEINFO_BY_TOPIC answers rewritten to the sidecar (result=rewritten|failed).
  readonly routeRewrites: CounterFamily = new CounterFamily(P + "route_rewrites_total", ["result"]);
  // Frames the filter let through without understanding them, by reason.
  readonly unparsed: CounterFamily = new CounterFamily(P + "unparsed_frames_total", ["reason"]);
  readonly connections: Gauge = new Gauge(P + "active_connections");

  private readonly topics: LabelCap;
  private readonly groups: LabelCap;
  private readonly clients: LabelCap;
  private readonly perTopic: bool;
  private readonly perGroup: bool;
  private readonly perClient: bool;

  constructor(config: RocketMQFilterConfig) {
    this.perTopic = config.perTopicMetrics;
    this.perGroup = config.perGroupMetrics;
    this.perClient = config.perClientMetrics;
    this.topics = new LabelCap(config.maxTopics);
    this.groups = new LabelCap(config.maxGroups);
    this.clients = new LabelCap(config.maxClients);
  }

  // Whether request headers are worth decoding for labels at all.
  get wantsNames(): bool {
    return this.perTopic || this.perGroup || this.perClient;
  }

  // Label values: "_" when the dimension is off (one series for all).
  topic(name: string): string {
    return this.perTopic ? this.topics.resolve(labelValue(name)) : "_";
  }

  group(name: string): string {
    return this.perGroup ? this.groups.resolve(labelValue(name)) : "_";
  }

  client(id: string): string {
    return this.perClient ? this.clients.resolve(labelValue(id)) : "_";
  }
}
