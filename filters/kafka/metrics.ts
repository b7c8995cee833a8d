// The kafka filter's metrics. Names follow envoy-configs/README.md: labels
// ride in the name and stats-tags.yaml turns them into Prometheus labels.
import { CounterFamily, HistogramFamily, LabelCap, labelValue } from "../../assembly/common/labelled_metrics";
import { Counter, Gauge } from "../../assembly/proxy";
import { apiKeyName } from "../../assembly/kafka/api_keys";
import { KafkaFilterConfig } from "./config";

// The counter of a family labelled by API; the label is built only the first time.
function byApi(family: CounterFamily, apiKey: i16): Counter {
  const cached = family.cachedAt(apiKey);
  return cached != null ? cached : family.at1(apiKey, apiKeyName(apiKey));
}

export class KafkaMetrics {
  requests: CounterFamily = new CounterFamily("mqmesh_kafka_requests_total", ["api"]);
  readonly responses: CounterFamily = new CounterFamily("mqmesh_kafka_responses_total", ["api"]);
  readonly responseErrors: CounterFamily = new CounterFamily("mqmesh_kafka_response_errors_total", ["api", "code"]);
  readonly latency: HistogramFamily = new HistogramFamily("mqmesh_kafka_request_duration_milliseconds", ["api"]);
  readonly producedRecords: CounterFamily = new CounterFamily("mqmesh_kafka_produced_records_total", ["topic"]);
  readonly producedBytes: CounterFamily = new CounterFamily("mqmesh_kafka_produced_bytes_total", ["topic"]);
  readonly fetchedRecords: CounterFamily = new CounterFamily("mqmesh_kafka_fetched_records_total", ["topic"]);
  readonly fetchedBytes: CounterFamily = new CounterFamily("mqmesh_kafka_fetched_bytes_total", ["topic"]);
  // Frames the filter let through without understanding them, by reason.
  readonly unparsed: CounterFamily = new CounterFamily("mqmesh_kafka_unparsed_frames_total", ["reason"]);
  readonly connections: Gauge = new Gauge("mqmesh_kafka_active_connections");

  private readonly topics: LabelCap;
  private readonly clientIds: LabelCap;
  private readonly principals: LabelCap;
  private readonly perTopic: bool;
  private readonly perClientId: bool;
  private readonly later: bool;

  constructor(config: KafkaFilterConfig) {
    this.perTopic = config.perTopicMetrics;
    this.perClientId = config.perClientIdMetrics;
    this.later = config.metricsFlushMs > 0;
    this.topics = new LabelCap(config.maxTopics);
    this.clientIds = new LabelCap(config.maxClientIds);
    this.principals = new LabelCap(config.maxClientIds);
    if (this.perClientId) this.requests = new CounterFamily("mqmesh_kafka_requests_total", ["api", "client_id"]);
  }

  get wantsClientId(): bool {
    return this.perClientId;
  }

  get wantsTopics(): bool {
    return this.perTopic;
  }

  request(apiKey: i16, clientId: string | null): void {
    if (this.perClientId) {
      const id = clientId == null ? "" : labelValue(clientId);
      this.count(this.requests.with([apiKeyName(apiKey), this.clientIds.resolve(id)]), 1);
    } else {
      this.count(byApi(this.requests, apiKey), 1);
    }
  }

  response(apiKey: i16, elapsedNanos: u64): void {
    this.count(byApi(this.responses, apiKey), 1);
    const cached = this.latency.cachedAt(apiKey);
    (cached != null ? cached : this.latency.at1(apiKey, apiKeyName(apiKey))).record(elapsedNanos / 1000000);
  }

  // Counters bumped per frame (requests, responses, records and bytes per
  // topic) reach Envoy on the root's tick (metrics.flushIntervalMs).
  count(counter: Counter, delta: u64): void {
    if (this.later) counter.incrementLater(delta);
    else counter.increment(delta);
  }

  // Who was denied, as Identity.label() names them; capped like client ids.
  principal(label: string): string {
    return this.principals.resolve(labelValue(label));
  }

  topic(name: string): string {
    return this.topics.resolve(labelValue(name));
  }
}
