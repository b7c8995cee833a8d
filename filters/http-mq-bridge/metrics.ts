// The bridge's metrics (README.md, "Metrics"). Names follow the kafka
// filter's: labels ride in the name and envoy-configs/stats-tags.yaml turns
// them into Prometheus labels. Label values come from the configuration
// (pubsub names), from a fixed set (api, result, code), or are capped
// (topics, which routing rules and apps choose).
//
// The per-publish counters are a PublishHook: they see every answer once.
import { CounterFamily, HistogramFamily, LabelCap, labelValue } from "../../assembly/common/labelled_metrics";
import { errorName } from "../../assembly/kafka/errors";
import { PublishHook } from "./hooks";
import { Outcome } from "./kafka_client";
import { Publish } from "./publish";
import { Answer } from "./record";

export class BridgeMetrics extends PublishHook {
  readonly requests: CounterFamily = new CounterFamily("mqmesh_bridge_requests_total", ["api", "pubsub", "status"]);
  readonly records: CounterFamily = new CounterFamily("mqmesh_bridge_records_total", ["pubsub", "topic", "result"]);
  readonly latency: HistogramFamily = new HistogramFamily("mqmesh_bridge_publish_duration_milliseconds", ["api"]);
  readonly brokerErrors: CounterFamily = new CounterFamily("mqmesh_bridge_broker_errors_total", ["pubsub", "code"]);
  private readonly topics: LabelCap;

  constructor(maxTopics: i32) {
    super();
    this.topics = new LabelCap(maxTopics);
  }

  // The request, its latency when it reached the broker, and its records by
  // the topic they went to (records exist once the body parsed).
  answered(p: Publish, a: Answer): void {
    const pubsub = p.pubsubName;
    this.requestAnswered(p.input.api, pubsub, a.status);
    if (p.askedBroker) this.duration(p.input.api, p.root.nowMs() - p.bodyEndMs);
    for (let i = 0; i < p.records.length; i++) {
      const r = p.records[i];
      if (r.topic.length > 0) this.record(pubsub, r.topic, r.stored);
    }
  }

  // One answer to the app; `pubsub` is "" when the request named none we know.
  private requestAnswered(api: string, pubsub: string, status: u32): void {
    this.requests.add([api, labelValue(pubsub), status.toString()]);
  }

  // Body complete -> answer, for requests that went to the broker.
  private duration(api: string, ms: i64): void {
    this.latency.with1(api).record(ms < 0 ? 0 : <u64>ms);
  }

  private record(pubsub: string, topic: string, stored: bool): void {
    this.records.add([labelValue(pubsub), this.topics.resolve(labelValue(topic)), stored ? "stored" : "failed"]);
  }

  // `code`: a Kafka error name, or what went wrong on the way to the broker.
  brokerError(pubsub: string, code: string): void {
    this.brokerErrors.add([labelValue(pubsub), code]);
  }

  // A failed outcome: its Kafka error, or an answer that did not decode or match.
  brokerFailure(pubsub: string, o: Outcome): void {
    this.brokerError(pubsub, o.kafkaError != 0 ? errorName(o.kafkaError) : "bad_answer");
  }
}
