// The Kafka ACL: every request of every API is judged as a broker with an
// authorizer judges it (acl_operations.ts says which operation on which
// resource), on the resources the generated scan finds in it
// (requestResources), for the caller the connection's Identity names.
//
// A denied entry that can go alone (one topic of a produce, one group of a
// DescribeGroups) is cut out: the broker gets the rest, and the client the
// broker's answer with the denied entries' authorization errors added
// (addRefusals). A request with nothing allowed left, or denied on a resource
// it cannot lose (the group of an OffsetCommit), is answered by the filter in
// its API's own terms (refuseWhole; shortCircuit: the broker gets an
// ApiVersions v0 stand-in with the same correlation id). With rules
// configured, a request the filter cannot read (unknown API or version,
// malformed body, larger than maxFrameBytes) closes the connection, as a
// broker does with a request it cannot parse, and is counted. Responses that list topics the client did
// not name show only what it may describe (acl_visibility.ts).
import { Identity } from "../../assembly/common/identity";
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { FrameHead, Verdict } from "../../assembly/common/pipeline/interceptor";
import { ApiKey, apiKeyName } from "../../assembly/kafka/api_keys";
import { hasCodec } from "../../assembly/kafka/apis";
import { requestResources } from "../../assembly/kafka/api/registry";
import {
  CLUSTER_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from "../../assembly/kafka/errors";
import { KafkaMessage } from "../../assembly/kafka/message";
import { addRefusals, refuseWhole } from "../../assembly/kafka/refusal";
import { ResourceRef, ResourceScan, ResourceType, ResourceVisitor } from "../../assembly/kafka/resources";
import { LastTopic, UNKNOWN_TOPIC, topicNameForId } from "../../assembly/kafka/topic_ids";
import { AclConfig, Kind } from "./acl_config";
import { ApiAuthorization, OP_CLUSTER_ACTION, OP_DESCRIBE, OP_WRITE, apiAuthorization } from "./acl_operations";
import { hideTopics, listsTopics } from "./acl_visibility";
import { KafkaExchange, KafkaInterceptor, KafkaPipeline, KafkaRequest, KafkaResponse } from "./exchange";
import { KafkaMetrics } from "./metrics";

const EMPTY = new Uint8Array(0);

export class KafkaAcl extends KafkaInterceptor {
  private readonly denied: CounterFamily = new CounterFamily("mqmesh_kafka_denied_requests_total", ["api", "topic", "principal"]);
  // Requests refused because they could not be judged, by reason.
  private readonly unjudged: CounterFamily = new CounterFamily("mqmesh_kafka_acl_unjudged_requests_total", ["api", "reason"]);
  private readonly judge: AclJudge;
  // The verdict on producing to the topic judged last (onRequestHead), when
  // verdicts do not depend on who asks.
  private readonly lastTopic: LastTopic = new LastTopic();
  private lastVerdict: bool = false;

  constructor(private acl: AclConfig, private metrics: KafkaMetrics) {
    super();
    this.judge = new AclJudge(acl);
  }

  handlesRequest(api: i32, version: i16): bool {
    const acl = this.acl;
    if (!acl.apiAllowed(api)) return true;
    if (!acl.judges) return false;
    const auth = apiAuthorization(api);
    return auth == null || !auth.open;
  }

  handlesResponse(api: i32, version: i16): bool {
    return listsTopics(api) && this.acl.canDeny(Kind.Topic, OP_DESCRIBE) && hasCodec(api, version);
  }

  // A produce request to one topic the ACL allows goes on as it streams by;
  // the rest (a denied topic, several topics, a transactional one, an
  // unreadable head) is held.
  onRequestHead(x: KafkaExchange, head: FrameHead): Verdict {
    // Too large to keep (maxFrameBytes): it cannot be judged, so it does not pass.
    if (head.oversize) {
      this.unjudged.add([apiKeyName(x.api), "oversize"]);
      return Verdict.Close;
    }
    const produce = x.produce;
    const acl = this.acl;
    if (x.api != ApiKey.Produce || produce == null || !acl.apiAllowed(x.api)) return Verdict.Hold;
    if (produce.topicCount < 0 || (produce.topicCount > 0 && !produce.firstTopicRead)) {
      return produce.failed || head.complete ? Verdict.Hold : Verdict.NeedMore;
    }
    if (produce.topicCount != 1 || (produce.transactional && acl.canDeny(Kind.TransactionalId, OP_WRITE))) return Verdict.Hold;
    const byId = produce.topicNames.length == 0;
    const name = byId ? "" : unchecked(produce.topicNames[0]);
    const id = byId ? unchecked(produce.topicIds[0]) : EMPTY;
    return this.producible(name, id, x.session.identity) ? Verdict.Pass : Verdict.Hold;
  }

  private producible(name: string, id: Uint8Array, who: Identity): bool {
    const cached = !this.acl.byPrincipal;
    if (cached && this.lastTopic.is(name, id)) return this.lastVerdict;
    const resolved = name.length > 0 ? name : topicNameForId(id);
    const verdict = resolved == null ? !this.acl.canDeny(Kind.Topic, OP_WRITE) : this.acl.allowed(Kind.Topic, resolved!, OP_WRITE, who);
    if (cached) {
      this.lastVerdict = verdict;
      this.lastTopic.remember(name, id, resolved == null ? UNKNOWN_TOPIC : resolved!);
    }
    return verdict;
  }

  onRequest(x: KafkaExchange, request: KafkaRequest): void {
    const acl = this.acl;
    const apiKey = x.api;
    const v = x.version;
    const body = request.message;
    const who = x.session.identity;
    if (!acl.apiAllowed(apiKey)) {
      this.count(apiKey, "", who);
      return this.refuse(x, request, body, null, CLUSTER_AUTHORIZATION_FAILED, true);
    }
    const auth = apiAuthorization(apiKey);
    if (body == null || auth == null) {
      // Not judged, so not let through.
      const reason = auth == null ? "unknown_api" : !hasCodec(apiKey, v) ? "unknown_version" : "malformed";
      this.unjudged.add([apiKeyName(apiKey), reason]);
      return x.close();
    }
    if (auth.cluster != 0 && !acl.allowed(Kind.Cluster, "", auth.cluster, who)) {
      this.count(apiKey, "", who);
      return this.refuse(x, request, body, null, CLUSTER_AUTHORIZATION_FAILED, false);
    }
    const judge = this.judge.reset(apiKey, auth, who);
    const scan = new ResourceScan(judge);
    const cut = requestResources(apiKey, body!, v, scan);
    if (scan.denied == 0) return;
    const names = judge.deniedNames;
    for (let i = 0; i < names.length; i++) this.count(apiKey, unchecked(names[i]), who);
    const code = authorizationError(judge.firstDenied);
    // Metadata v1+ with no topic left still asks for the brokers; v0 would
    // read an empty list as "every topic".
    const emptyGoesOn = apiKey == ApiKey.Metadata && v > 0;
    if (scan.whole || (judge.allowedEntries == 0 && !emptyGoesOn)) return this.refuse(x, request, body, cut, code, false);
    request.markChanged();
    if (x.oneway || cut == null) return;
    x.aclDenied = cut;
    this.watch(x);
  }

  // Answers the request with every entry refused with `code` (an API
  // denied by name: with the error of the first resource it names).
  private refuse(x: KafkaExchange, request: KafkaRequest, body: KafkaMessage | null, cut: KafkaMessage | null, code: i16, codeOfFirstResource: bool): void {
    // Nothing goes to the broker; a produce with acks=0 expects no answer.
    if (x.oneway) return x.shortCircuit(EMPTY);
    if (body == null) return x.close();
    if (cut == null) {
      const all = new DenyAll();
      cut = requestResources(x.api, body!, x.version, new ResourceScan(all));
      if (codeOfFirstResource && all.seen) code = authorizationError(all.first);
    }
    const answer = refuseWhole(x.api, x.version, body!, cut, code);
    if (answer == null) x.close();
    else request.answerWith(x, answer!);
  }

  onResponseHead(x: KafkaExchange, head: FrameHead): Verdict {
    return Verdict.Hold;
  }

  onResponse(x: KafkaExchange, response: KafkaResponse): void {
    const message = response.message;
    if (message == null) return;
    // Hidden first: the refusals added next name denied topics on purpose.
    let changed = listsTopics(x.api) && hideTopics(this.acl, x.session.identity, x.api, message!);
    const cut = x.aclDenied;
    if (cut != null) {
      this.addRefusals(x, message!, cut!);
      changed = true;
    }
    if (changed) response.markChanged();
  }

  // The cut entries, each answered with the error of its resource's type (a
  // config request may cut a topic and a group): the cut part is judged
  // again, and split once per denied type beyond the first.
  private addRefusals(x: KafkaExchange, answer: KafkaMessage, cut: KafkaMessage): void {
    const judge = this.judge;
    const auth = apiAuthorization(x.api)!;
    for (let pass = 0; pass < 8; pass++) {
      judge.reset(x.api, auth, x.session.identity).recording();
      requestResources(x.api, cut, x.version, new ResourceScan(judge));
      const type = judge.deniedType;
      const code = authorizationError(type);
      if (judge.deniedMixed) {
        judge.reset(x.api, auth, x.session.identity).splitting(type);
        const scan = new ResourceScan(judge);
        const part = requestResources(x.api, cut, x.version, scan);
        if (part != null && !scan.whole) {
          addRefusals(x.api, x.version, answer, part!, code);
          continue;
        }
      }
      addRefusals(x.api, x.version, answer, cut, code);
      return;
    }
  }

  private count(apiKey: i32, topic: string, who: Identity): void {
    const metrics = this.metrics;
    this.denied.add([apiKeyName(apiKey), topic.length == 0 ? "" : metrics.topic(topic), metrics.principal(who.label())]);
  }
}

const JUDGING = 0;
const RECORDING = 1;
const SPLITTING = 2;

// Judges each resource a scan shows, for one request.
class AclJudge extends ResourceVisitor {
  // Allowed resources that are entries of their own (a topic of a fetch):
  // none left, the request has nothing to ask of the broker.
  allowedEntries: i32 = 0;
  firstDenied: ResourceType = ResourceType.Cluster;
  // The topic of each denied resource ("" for other kinds), for metrics.
  deniedNames: string[] = [];
  // Re-judging a cut part (addRefusals): the denied entries' type.
  deniedType: ResourceType = ResourceType.Topic;
  deniedSeen: bool = false;
  deniedMixed: bool = false;
  private mode: i32 = JUDGING;
  private apiKey: i32 = 0;
  private auth: ApiAuthorization | null = null;
  private who: Identity = new Identity();

  constructor(private acl: AclConfig) {
    super();
  }

  reset(apiKey: i32, auth: ApiAuthorization, who: Identity): AclJudge {
    this.apiKey = apiKey;
    this.auth = auth;
    this.who = who;
    this.allowedEntries = 0;
    this.deniedNames.length = 0;
    this.mode = JUDGING;
    this.deniedType = ResourceType.Topic;
    this.deniedSeen = false;
    this.deniedMixed = false;
    return this;
  }

  // Allows everything, noting the types of the entries it would deny.
  recording(): void {
    this.mode = RECORDING;
  }

  // Denies only the entries of this type it would deny.
  splitting(type: ResourceType): void {
    this.mode = SPLITTING;
    this.deniedType = type;
  }

  visit(ref: ResourceRef): bool {
    if (this.mode != JUDGING) return this.sort(ref);
    if (this.judged(ref)) {
      if (ref.removable && !(ref.type == ResourceType.TopicId && isNullId(ref.topicId))) this.allowedEntries++;
      return true;
    }
    if (this.deniedNames.length == 0) this.firstDenied = ref.type;
    const topic = ref.type == ResourceType.Topic ? ref.name : ref.type == ResourceType.TopicId ? nameOrUnknown(topicNameForId(ref.topicId)) : "";
    this.deniedNames.push(topic);
    return false;
  }

  private sort(ref: ResourceRef): bool {
    // Request-level fields copied into a cut part were allowed, or the
    // request would have been refused whole: only entries are sorted.
    if (!ref.removable || this.judged(ref)) return true;
    const type = ref.type == ResourceType.TopicId ? ResourceType.Topic : ref.type;
    if (this.mode == SPLITTING) return type != this.deniedType;
    if (!this.deniedSeen) {
      this.deniedSeen = true;
      this.deniedType = type;
    } else if (type != this.deniedType) this.deniedMixed = true;
    return true;
  }

  private judged(ref: ResourceRef): bool {
    // Patterns (regex subscriptions, ACL binding filters) are resolved by
    // the broker; forgetting a topic from a fetch session reads nothing.
    if (ref.pattern || ref.field.startsWith("ForgottenTopicsData")) return true;
    const acl = this.acl;
    const auth = this.auth!;
    const who = this.who;
    const configs = auth.configs;
    switch (ref.type) {
      case ResourceType.Topic: {
        const op = configs != 0 ? configs : auth.topic;
        // No topic has an empty name (a DescribeTopicPartitions cursor at the start).
        return op == 0 || ref.name.length == 0 || acl.allowed(Kind.Topic, ref.name, op, who);
      }
      case ResourceType.TopicId: {
        const op = auth.topic;
        // The null id of an entry named by name: the name is judged.
        if (op == 0 || isNullId(ref.topicId)) return true;
        const name = topicNameForId(ref.topicId);
        // An id no response named yet may be a denied topic.
        return name == null ? !acl.canDeny(Kind.Topic, op) : acl.allowed(Kind.Topic, name!, op, who);
      }
      case ResourceType.Group: {
        const op = configs != 0 ? configs : auth.group;
        return op == 0 || acl.allowed(Kind.Group, ref.name, op, who);
      }
      case ResourceType.TransactionalId: return auth.transactionalId == 0 || acl.allowed(Kind.TransactionalId, ref.name, auth.transactionalId, who);
      // A broker's or client-metrics' configs belong to the cluster.
      case ResourceType.Broker:
      case ResourceType.ClientMetrics: return configs != 0 && acl.allowed(Kind.Cluster, "", configs, who);
      // FindCoordinator of a share-group partition: the brokers' own call.
      case ResourceType.Other: return this.apiKey == ApiKey.FindCoordinator && acl.allowed(Kind.Cluster, "", OP_CLUSTER_ACTION, who);
    }
    return false;
  }
}

function isNullId(id: Uint8Array): bool {
  for (let i = 0; i < id.length; i++) if (id[i] != 0) return false;
  return true;
}

function nameOrUnknown(name: string | null): string {
  return name == null ? UNKNOWN_TOPIC : name!;
}

// The authorization error a broker answers for a resource of this type.
function authorizationError(type: ResourceType): i16 {
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

// Adds the ACL when the configuration has an `acl` section.
export function installAcl(acl: AclConfig, metrics: KafkaMetrics, pipeline: KafkaPipeline): void {
  if (acl.enabled) pipeline.add(new KafkaAcl(acl, metrics));
}
