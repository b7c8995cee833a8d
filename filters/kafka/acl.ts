// Topic ACLs and API allow/deny lists, enforced by request substitution: a
// request with nothing allowed left in it is answered by the filter
// (shortCircuit: the broker gets an ApiVersions v0 stand-in with the same
// correlation id, and the client, in place of its answer, the original
// API/version's response carrying the authorization error). A request that
// mixes allowed and denied topics goes on with only the allowed ones; the
// denied topics' errors are merged into the broker's response, as a broker
// with ACLs would answer. Metadata responses never show a topic the client
// may not describe. The splitting is in acl_split.ts, the answers and the
// merge in acl_answers.ts.
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { hasCodec, newResponse } from "../../assembly/kafka/apis";
import {
  CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from "../../assembly/kafka/errors";
import { KafkaMessage } from "../../assembly/kafka/message";
import { LastTopic, UNKNOWN_TOPIC } from "../../assembly/kafka/topic_ids";
import { AclConfig, OP_PRODUCE, apiOperation } from "./acl_config";
import { merge } from "./acl_answers";
import { requestResources } from "../../assembly/kafka/api/registry";
import { refuseWhole } from "../../assembly/kafka/refusal";
import { ResourceRef, ResourceScan, ResourceType, ResourceVisitor } from "../../assembly/kafka/resources";
import { Split, nameOf, split } from "./acl_split";
import { KafkaExchange, KafkaInterceptor, KafkaPipeline, KafkaRequest, KafkaResponse } from "./exchange";
import { KafkaMetrics } from "./metrics";

const EMPTY = new Uint8Array(0);

export class KafkaAcl extends KafkaInterceptor {
  private readonly denied: CounterFamily = new CounterFamily("mqmesh_kafka_denied_requests_total", ["api", "topic"]);
  // The verdict on producing to the topic judged last (onRequestHead).
  private readonly lastTopic: LastTopic = new LastTopic();
  private lastVerdict: bool = false;

  constructor(private acl: AclConfig, private metrics: KafkaMetrics) {
    super();
  }

  handlesRequest(api: i32, version: i16): bool {
    const acl = this.acl;
    if (!acl.apiAllowed(api)) return true;
    return apiOperation(api) != 0 && acl.checksTopics && hasCodec(api, version);
  }

  // Metadata responses are filtered; others only when a request was split.
  handlesResponse(api: i32, version: i16): bool {
    return api == ApiKey.Metadata && this.acl.checksTopics && hasCodec(api, version);
  }

  // A produce request to one topic the ACL allows goes on as it streams by;
  // the rest (a denied topic, several topics, an unreadable head) is held.
  onRequestHead(x: KafkaExchange, head: FrameHead): Verdict {
    const produce = x.produce;
    if (x.api != ApiKey.Produce || produce == null || !this.acl.apiAllowed(x.api)) return Verdict.Hold;
    if (produce.topicCount < 0 || (produce.topicCount > 0 && !produce.firstTopicRead)) {
      return produce.failed || head.complete ? Verdict.Hold : Verdict.NeedMore;
    }
    if (produce.topicCount != 1) return Verdict.Hold;
    const byId = produce.topicNames.length == 0;
    const name = byId ? "" : unchecked(produce.topicNames[0]);
    const id = byId ? unchecked(produce.topicIds[0]) : EMPTY;
    return this.producible(name, id) ? Verdict.Pass : Verdict.Hold;
  }

  private producible(name: string, id: Uint8Array): bool {
    if (this.lastTopic.is(name, id)) return this.lastVerdict;
    const resolved = nameOf(name, id);
    this.lastVerdict = this.acl.allowed(resolved, OP_PRODUCE);
    this.lastTopic.remember(name, id, resolved == null ? UNKNOWN_TOPIC : resolved);
    return this.lastVerdict;
  }

  onRequest(x: KafkaExchange, request: KafkaRequest): void {
    const acl = this.acl;
    const apiKey = x.api;
    const v = x.version;
    const api = apiKeyName(apiKey);
    const body = request.message;

    if (!acl.apiAllowed(apiKey)) {
      this.count(api, "");
      // Nothing goes to the broker; a produce with acks=0 expects no answer.
      if (x.oneway) return x.shortCircuit(EMPTY);
      // A request this filter cannot decode cannot be answered in its
      // API's terms: the connection is closed, as a broker closes it on a
      // request it cannot read.
      const answer: KafkaMessage | null = body == null ? null : refuseApi(apiKey, v, body!);
      if (answer == null) x.close();
      else request.answerWith(x, answer!);
      return;
    }
    if (body == null) return;
    const part = newResponse(apiKey)!;
    const s = new Split(acl, false, TOPIC_AUTHORIZATION_FAILED);
    split(apiKey, v, body!, part, s);
    for (let i = 0; i < s.denied.length; i++) this.count(api, unchecked(s.denied[i]));
    if (s.denied.length == 0) {
      if (s.filter) this.remember(x, part);
      return;
    }
    if (s.allowed == 0 && apiKey != ApiKey.Metadata) {
      // Nothing left for the broker.
      if (x.oneway) x.shortCircuit(EMPTY);
      else request.answerWith(x, part);
      return;
    }
    if (!x.oneway) this.remember(x, part);
    request.markChanged();
  }

  onResponseHead(x: KafkaExchange, head: FrameHead): Verdict {
    return Verdict.Hold;
  }

  onResponse(x: KafkaExchange, response: KafkaResponse): void {
    const part = x.aclDenied;
    if (part == null && x.api != ApiKey.Metadata) return;
    const message = response.message;
    if (message == null) return;
    merge(this.acl, x.api, message!, part);
    response.markChanged();
  }

  // The denied part waits on the exchange for the broker's response.
  private remember(x: KafkaExchange, part: KafkaMessage): void {
    x.aclDenied = part;
    this.watch(x);
  }

  private count(api: string, topic: string): void {
    this.denied.add([api, topic.length == 0 ? "" : this.metrics.topic(topic)]);
  }
}

// Adds the ACL when the configuration has an `acl` section.
export function installAcl(acl: AclConfig, metrics: KafkaMetrics, pipeline: KafkaPipeline): void {
  if (acl.enabled) pipeline.add(new KafkaAcl(acl, metrics));
}

// The authorization error a broker answers for a resource of this type.
export function authorizationError(type: ResourceType): i16 {
  switch (type) {
    case ResourceType.Topic:
    case ResourceType.TopicId: return TOPIC_AUTHORIZATION_FAILED;
    case ResourceType.Group: return GROUP_AUTHORIZATION_FAILED;
    case ResourceType.TransactionalId: return TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  }
  return CLUSTER_AUTHORIZATION_FAILED;
}

// Denies everything a request names, and remembers what it met first.
class DenyAll extends ResourceVisitor {
  first: ResourceType = ResourceType.Cluster;
  seen: bool = false;

  visit(ref: ResourceRef): bool {
    if (!this.seen) {
      this.seen = true;
      this.first = ref.type;
    }
    return false;
  }
}

// The answer to a request whose API is denied outright: every entry refused
// with the error of the first resource it names (a cluster authorization
// error when it names none). Null when the API has no codec.
function refuseApi(apiKey: i32, v: i16, body: KafkaMessage): KafkaMessage | null {
  const all = new DenyAll();
  const denied = requestResources(apiKey, body, v, new ResourceScan(all));
  return refuseWhole(apiKey, v, body, denied, authorizationError(all.first));
}
