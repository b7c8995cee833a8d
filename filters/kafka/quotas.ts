// Kafka quotas (README.md, "Quotas") with the broker's semantics (KIP-219):
// a request over a quota goes through, the bucket goes into debt, and the
// client is told to wait until the debt is repaid, in the throttle_time_ms
// of its response (the larger of the broker's and the filter's), and is
// held to it: the connection stops reading its requests for that long
// (Session.mute: from the request on, and again from the response, as a
// broker mutes the channel after sending it), so clients that ignore the
// field (librdkafka) wait too.
//
// What is counted, per rule that applies to the caller (principals):
// - produceBytesPerSecond: the produce request's size, as the broker counts
//   it, charged at the request's head; a request to several topics when the
//   rule names topics is held and charged its records' bytes per topic.
// - fetchBytesPerSecond: the fetch response's size, charged at its head, or
//   its record bytes per topic when the rule names topics (then held and
//   decoded). The throttle goes into that same response.
// - requestsPerSecond: every request (with topics: produce requests to them).
// - partitionMutationsPerSecond (KIP-599): CreateTopics counts the
//   partitions asked for (1 for the broker's default), CreatePartitions the
//   new partition count (the filter does not know the current one: stricter,
//   never looser), DeleteTopics 1 per topic. On versions with
//   THROTTLING_QUOTA_EXCEEDED (CreateTopics v6+, CreatePartitions v3+,
//   DeleteTopics v5+) a request is refused with it while the bucket is in
//   debt; older versions are admitted and throttled.
//
// Buckets are shared by the Envoy's workers (shared_buckets.ts); a worker
// charges from a chunk it took ahead while a bucket is far from its limit
// (bucket_leases.ts), so a quota that is not reached costs little. Rules
// marked global report their hits to the rate limit service
// (ratelimit_client.ts); its last answer for the key decides, an OVER_LIMIT
// throttling until its window resets.
import { Identity } from "../../assembly/common/identity";
import { LimitMetrics } from "../../assembly/common/limit_metrics";
import { principalKey } from "../../assembly/common/limit_rules";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { Descriptor } from "../../assembly/common/ratelimit_proto";
import { GlobalLimiter } from "../../assembly/common/ratelimit_client";
import { BucketLeases } from "../../assembly/common/bucket_leases";
import { SharedBuckets } from "../../assembly/common/shared_buckets";
import { Admit, Rate } from "../../assembly/common/token_bucket";
// The host call itself, not RootContext.setTickPeriod: that makes the root
// the effective context, and a quota mutes from a connection's callback.
import { setTickPeriodMilliseconds } from "../../assembly/proxy/hostcalls";
import { getCurrentTimeNanoseconds, getMonotonicTimeNanoseconds } from "../../assembly/proxy";
import { ApiKey } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { errorResponse } from "../../assembly/kafka/api/registry";
import { FetchResponse } from "../../assembly/kafka/api/fetch";
import { THROTTLING_QUOTA_EXCEEDED } from "../../assembly/kafka/errors";
import { topicName } from "../../assembly/kafka/topic_ids";
import { KafkaExchange, KafkaInterceptor, KafkaPipeline, KafkaRequest, KafkaResponse } from "./exchange";
import { KafkaQuotaRule, QuotaConfig, RATE_FETCH_BYTES, RATE_PARTITION_MUTATIONS, RATE_PRODUCE_BYTES, RATE_REQUESTS, RATE_UNITS } from "./quota_config";
import { fetchedBytes, isMutation, mutations, producedBytes, refusesWithQuotaError, setMutationThrottle } from "./quota_counts";
import { hasThrottleTime, raiseThrottleTime } from "./throttle_time";

// The root's tick while a connection is muted: a mute ends at most this late.
export const MUTE_TICK_MS: u32 = 20;

// The root's tick, shared by every feature (metrics flush, mute resume): the
// quota makes it fine while connections are muted; the root makes it coarse
// again once none is (onTick).
export class TickControl {
  fine: bool = false;
  constructor(readonly baseMs: u32) {}

  muted(): void {
    if (this.fine || (this.baseMs > 0 && this.baseMs <= MUTE_TICK_MS)) return;
    this.fine = true;
    setTickPeriodMilliseconds(MUTE_TICK_MS);
  }

  // From the root's tick, with how many connections are still muted.
  ticked(stillMuted: i32): void {
    if (!this.fine || stillMuted > 0) return;
    this.fine = false;
    setTickPeriodMilliseconds(this.baseMs);
  }
}

// An admitted take, given back when another rule refuses the request.
class Taken {
  constructor(readonly slot: string, readonly key: string, readonly n: i64, readonly rate: Rate) {}
}

export class KafkaQuotas extends KafkaInterceptor {
  private readonly buckets: SharedBuckets;
  // Deficit-model charges, served from per-worker chunks while a bucket is far from its limit.
  private readonly leases: BucketLeases;
  private readonly global: GlobalLimiter | null;
  private readonly metrics: LimitMetrics = new LimitMetrics("kafka");
  private readonly countsRequests: bool;
  private readonly countsProduce: bool;
  private readonly produceByTopic: bool;
  private readonly countsFetch: bool;
  private readonly fetchByTopic: bool;
  private readonly countsMutations: bool;
  // Partition mutations of the request being judged (onRequest), per rule.
  private readonly taken: Array<Taken> = new Array<Taken>();
  // The monotonic clock, read once per callback that charges (-1: not yet).
  private clockNs: i64 = -1;

  constructor(readonly config: QuotaConfig, readonly tick: TickControl, rootContextId: u32) {
    super();
    const buckets = new SharedBuckets("mqmesh.kafka.quotas", config.maxKeys);
    this.buckets = buckets;
    this.leases = new BucketLeases(buckets);
    const rls = config.rateLimitService;
    this.global = rls != null && config.anyGlobal ? new GlobalLimiter(rls, rootContextId) : null;
    this.countsRequests = config.anyRate(RATE_REQUESTS);
    this.countsProduce = config.anyRate(RATE_PRODUCE_BYTES);
    this.produceByTopic = config.anyTopicRate(RATE_PRODUCE_BYTES) || config.anyTopicRate(RATE_REQUESTS);
    this.countsFetch = config.anyRate(RATE_FETCH_BYTES);
    this.fetchByTopic = config.anyTopicRate(RATE_FETCH_BYTES);
    this.countsMutations = config.anyRate(RATE_PARTITION_MUTATIONS);
  }

  /** The root's gRPC callbacks: answers of the rate limit service. */
  onGrpcReceive(token: u32, size: u32): bool {
    const g = this.global;
    return g != null && g.onGrpcReceive(token, size);
  }

  onGrpcClose(token: u32, status: u32): bool {
    const g = this.global;
    return g != null && g.onGrpcClose(token, status);
  }

  handlesRequest(api: i32, version: i16): bool {
    if (this.countsRequests) return true;
    if (api == ApiKey.Produce) return this.countsProduce;
    return this.countsMutations && isMutation(api) && hasCodec(api, version);
  }

  handlesResponse(api: i32, version: i16): bool {
    return api == ApiKey.Fetch && this.countsFetch && hasCodec(api, version);
  }

  onRequestHead(x: KafkaExchange, head: FrameHead): Verdict {
    this.clockNs = -1;
    const produce = x.produce;
    let topic: string | null = null;
    if (produce != null && this.produceByTopic) {
      // Which topic a rule with topics is asked about: the first, when it is the only one.
      if (produce.topicCount < 0 || (produce.topicCount > 0 && !produce.firstTopicRead)) {
        return produce.failed || head.complete ? Verdict.Hold : Verdict.NeedMore;
      }
      if (produce.topicCount > 1) return Verdict.Hold;
      if (produce.topicCount == 1) {
        const byId = produce.topicNames.length == 0;
        topic = topicName(byId ? "" : unchecked(produce.topicNames[0]), byId ? unchecked(produce.topicIds[0]) : EMPTY_ID);
      }
    }
    if (this.countsMutations && isMutation(x.api)) return Verdict.Hold;
    const id = x.session.identity;
    const rules = this.config.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule.rule.appliesTo(id)) continue;
      const produces = x.api == ApiKey.Produce && rule.countsTopic(topic);
      if (rule.has(RATE_REQUESTS) && (rule.topics == null || produces)) this.charge(x, rule, RATE_REQUESTS, 1, id);
      if (rule.has(RATE_PRODUCE_BYTES) && produces) this.charge(x, rule, RATE_PRODUCE_BYTES, <i64>x.requestSize + 4, id);
    }
    this.throttled(x, produce != null && produce.acksRead && produce.acks == 0);
    return Verdict.Pass;
  }

  onRequest(x: KafkaExchange, request: KafkaRequest): void {
    this.clockNs = -1;
    const id = x.session.identity;
    const rules = this.config.rules;
    if (x.api == ApiKey.Produce) {
      const produce = x.produce;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        if (!rule.rule.appliesTo(id)) continue;
        const bytes = produce == null ? <i64>x.requestSize + 4 : producedBytes(rule, produce.topicNames, produce.topicIds, produce.topicBytes);
        if (rule.has(RATE_REQUESTS) && (rule.topics == null || bytes > 0)) this.charge(x, rule, RATE_REQUESTS, 1, id);
        if (rule.has(RATE_PRODUCE_BYTES) && bytes > 0) this.charge(x, rule, RATE_PRODUCE_BYTES, bytes, id);
      }
      this.throttled(x, produce != null && produce.acks == 0);
      return;
    }
    // Partition mutations (and the request itself).
    const body = request.message;
    const refusable = refusesWithQuotaError(x.api, x.version);
    this.taken.length = 0;
    let refusedMs: i64 = -1;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule.rule.appliesTo(id)) continue;
      if (rule.has(RATE_REQUESTS) && rule.topics == null) this.charge(x, rule, RATE_REQUESTS, 1, id);
      if (!rule.has(RATE_PARTITION_MUTATIONS) || body == null) continue;
      const n = mutations(x.api, body!, rule);
      if (n == 0) continue;
      if (!refusable) {
        this.charge(x, rule, RATE_PARTITION_MUTATIONS, n, id);
        continue;
      }
      const wait = this.admitMutations(x, rule, n, id);
      if (wait >= 0) {
        this.metrics.throttled(rule.rule.name, id, wait);
        if (wait > refusedMs) refusedMs = wait;
      }
    }
    if (refusedMs < 0) {
      this.throttled(x, false);
      return;
    }
    // Refused: what the other rules admitted never happened.
    for (let i = 0; i < this.taken.length; i++) {
      const t = this.taken[i];
      this.buckets.giveBack(t.slot, t.key, t.n, t.rate);
    }
    const ms = <i32>min<i64>(max<i64>(refusedMs, <i64>x.throttleMs), <i64>i32.MAX_VALUE);
    const answer = errorResponse(x.api, body!, x.version, THROTTLING_QUOTA_EXCEEDED);
    if (answer == null) return;
    setMutationThrottle(answer!, ms);
    request.answerWith(x, answer!);
    this.mute(x, ms);
  }

  // KIP-599's strict admission: -1 when admitted (throttled by the debt it
  // leaves, as the broker does), else the wait in ms.
  private admitMutations(x: KafkaExchange, rule: KafkaQuotaRule, n: i64, id: Identity): i64 {
    const rate = rule.rule.rates[RATE_PARTITION_MUTATIONS]!;
    const key = rule.rule.bucketKey(RATE_PARTITION_MUTATIONS, id);
    if (rule.rule.global) {
      const v = this.global!.check(key, descriptors(rule, RATE_PARTITION_MUTATIONS, id), <u64>n);
      return v.over ? v.waitMs : -1;
    }
    const r = this.buckets.take(key, n, rate, Admit.WhileNotNegative);
    if (!r.admitted) return <i64>r.waitMs;
    this.taken.push(new Taken(r.slot, key, n, rate));
    if (r.waitMs > 0) {
      this.metrics.throttled(rule.rule.name, id, <i64>r.waitMs);
      throttle(x, <i64>r.waitMs);
    }
    return -1;
  }

  onResponseHead(x: KafkaExchange, head: FrameHead): Verdict {
    this.clockNs = -1;
    if (x.api == ApiKey.Fetch && this.countsFetch) {
      if (this.fetchByTopic) return Verdict.Hold;
      const id = x.session.identity;
      const rules = this.config.rules;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        if (rule.has(RATE_FETCH_BYTES) && rule.rule.appliesTo(id)) this.charge(x, rule, RATE_FETCH_BYTES, <i64>head.frameSize + 4, id);
      }
    }
    const left = throttleLeft(x);
    if (left <= 0) return Verdict.Pass;
    if (hasThrottleTime(x.api, x.version) && !head.oversize) return Verdict.Hold;
    this.mute(x, left);
    return Verdict.Pass;
  }

  // The client is told what is left of its throttle (the time since the
  // request was charged counts), and muted that long from now.
  onResponse(x: KafkaExchange, response: KafkaResponse): void {
    this.clockNs = -1;
    if (x.api == ApiKey.Fetch && this.fetchByTopic) this.chargeFetchedTopics(x, response);
    const left = throttleLeft(x);
    if (left <= 0) return;
    x.throttleMs = left;
    const told = raiseThrottleTime(response, left);
    this.mute(x, max(told, left));
  }

  // Fetch rules, some naming topics: the whole response's size for those
  // that name none, the record bytes of their topics for the others.
  private chargeFetchedTopics(x: KafkaExchange, response: KafkaResponse): void {
    const id = x.session.identity;
    const message = response.message;
    const rules = this.config.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (!rule.has(RATE_FETCH_BYTES) || !rule.rule.appliesTo(id)) continue;
      let bytes: i64 = <i64>response.bytes.length + 4;
      if (rule.topics != null) bytes = message == null ? 0 : fetchedBytes(rule, message as FetchResponse);
      if (bytes > 0) this.charge(x, rule, RATE_FETCH_BYTES, bytes, id);
    }
  }

  // Takes n from the rule's rate (Kafka's deficit model) and raises the
  // exchange's throttle to the wait it owes.
  private charge(x: KafkaExchange, rule: KafkaQuotaRule, field: i32, n: i64, id: Identity): void {
    const r = rule.rule;
    const rate = r.rates[field]!;
    const key = r.bucketKey(field, id);
    let waitMs: i64 = 0;
    let over: i64 = 0;
    if (r.global) {
      const v = this.global!.check(key, descriptors(rule, field, id), <u64>n);
      if (v.over) waitMs = v.waitMs;
    } else {
      if (this.clockNs < 0) this.clockNs = <i64>getMonotonicTimeNanoseconds();
      const t = this.leases.take(key, n, rate, this.clockNs);
      waitMs = <i64>t.waitMs;
      // The debt beyond the burst, in this request's units.
      if (waitMs > 0 && t.tokens < 0) over = min<i64>(n, <i64>Math.ceil(-t.tokens));
    }
    if (waitMs <= 0) return;
    this.metrics.throttled(r.name, id, waitMs, field == RATE_REQUESTS || field == RATE_PARTITION_MUTATIONS ? 0 : over);
    throttle(x, waitMs);
  }

  // After a request was charged: a throttled client's further requests are
  // not read from now on (a broker reads no request of a connection while
  // one is in process, so a client that pipelines, as librdkafka does, is
  // stopped here, not after a pipeline's worth of requests went by), and
  // the response is watched: its throttle_time_ms raised, the mute
  // extended from it on, as a broker mutes the channel after sending it.
  private throttled(x: KafkaExchange, answerless: bool): void {
    if (x.throttleMs <= 0) return;
    this.mute(x, x.throttleMs);
    if (!answerless) this.watch(x);
  }

  private mute(x: KafkaExchange, ms: i32): void {
    if (ms <= 0) return;
    x.session.mute(<u32>ms);
    this.tick.muted();
  }
}

const EMPTY_ID = new Uint8Array(16);
const MS: u64 = 1_000_000;

// Raises the exchange's throttle to waitMs from now.
function throttle(x: KafkaExchange, waitMs: i64): void {
  const ms = <i32>min<i64>(waitMs, <i64>i32.MAX_VALUE);
  if (ms > x.throttleMs) x.throttleMs = ms;
  const until = getCurrentTimeNanoseconds() + <u64>ms * MS;
  if (until > x.throttledUntil) x.throttledUntil = until;
}

// What is left of the exchange's throttle, in whole ms (0: none).
function throttleLeft(x: KafkaExchange): i32 {
  const now = getCurrentTimeNanoseconds();
  if (x.throttledUntil <= now) return 0;
  return <i32>min<u64>((x.throttledUntil - now + MS - 1) / MS, <u64>i32.MAX_VALUE);
}

// The rate limit service's descriptor for a rule's rate and this caller.
function descriptors(rule: KafkaQuotaRule, field: i32, id: Identity): Descriptor[] {
  const d = new Descriptor().add("rule", rule.rule.name).add("unit", RATE_UNITS[field]);
  if (rule.rule.perPrincipal) d.add("principal", principalKey(id));
  return [d];
}

/** Adds the quotas when the configuration has rules. */
export function installQuotas(config: QuotaConfig, tick: TickControl, rootContextId: u32, pipeline: KafkaPipeline): KafkaQuotas | null {
  if (!config.enabled) return null;
  const q = new KafkaQuotas(config, tick, rootContextId);
  pipeline.add(q);
  return q;
}
