// The rocketmq filter's metrics. Labels ride in the name
// (`metric;label=value`) and envoy-configs/stats-tags.yaml turns them into
// Prometheus labels. Request and response codes are bounded label sets
// (unknown codes are "other"); topics, groups and client ids are capped.
// Counters bumped per frame are summed in the module and handed to Envoy on
// the root's tick (metrics.flushIntervalMs), and reached without building a
// label array: by code (at1) or through the caches here.
import { CounterFamily, HistogramFamily, LabelCap, labelValue } from "../../assembly/common/labelled_metrics";
import { Counter, Gauge, Histogram } from "../../assembly/proxy";
import { requestCodeLabel } from "../../assembly/rocketmq/request_codes";
import { responseCodeLabel } from "../../assembly/rocketmq/response_codes";
import { RocketMQFilterConfig } from "./config";

// at1 caches by a small index; request codes reach 200050 (POP_MESSAGE).
@inline function codeIndex(code: i32): i32 {
  return code >= 0 && code < 4096 ? code : -1;
}

// The counter of a family labelled by request code; the label is built only
// the first time.
function byCode(family: CounterFamily, code: i32): Counter {
  const index = codeIndex(code);
  const cached = family.cachedAt(index);
  return cached != null ? cached : family.at1(index, requestCodeLabel(code));
}

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
  private readonly later: bool;
  // responses_total by (request code, response code).
  private readonly responseCounters: Map<i64, Counter> = new Map<i64, Counter>();

  constructor(config: RocketMQFilterConfig) {
    this.later = config.metricsFlushMs > 0;
    this.perTopic = config.perTopicMetrics;
    this.perGroup = config.perGroupMetrics;
    this.perClient = config.perClientMetrics;
    this.topics = new LabelCap(config.maxTopics);
    this.groups = new LabelCap(config.maxGroups);
    this.clients = new LabelCap(config.maxClients);
  }

  count(counter: Counter, delta: u64 = 1): void {
    if (delta == 0) return;
    if (this.later) counter.incrementLater(delta);
    else counter.increment(delta);
  }

  request(code: i32): Counter {
    return byCode(this.requests, code);
  }

  onewayRequest(code: i32): Counter {
    return byCode(this.oneway, code);
  }

  serverRequest(code: i32): Counter {
    return byCode(this.serverRequests, code);
  }

  response(requestCode: i32, responseCode: i32): Counter {
    const key = (<i64>requestCode << 32) | <i64><u32>responseCode;
    const cache = this.responseCounters;
    if (cache.has(key)) return cache.get(key);
    const counter = this.responses.with([requestCodeLabel(requestCode), responseCodeLabel(responseCode)]);
    cache.set(key, counter);
    return counter;
  }

  latencyOf(code: i32): Histogram {
    const index = codeIndex(code);
    const cached = this.latency.cachedAt(index);
    return cached != null ? cached : this.latency.at1(index, requestCodeLabel(code));
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
