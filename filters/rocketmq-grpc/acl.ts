// The ACL of the rocketmq-grpc filter: every MessagingService request
// message judged by the topics and groups it names and the action on them,
// as RocketMQ's proxy reads them (assembly/rocketmq/grpc/authorization.ts;
// the table is docs/rocketmq-authorization.md), for the caller the mesh
// knows: the mTLS peer and source address of the connection, the AccessKey
// of the `authorization` metadata, the client id of `x-mq-client-id`, and
// the group the request names. The rules are assembly/rocketmq/policy.ts's,
// the same as the remoting filter's.
//
// A denied request never reaches the proxy as sent: the stream replaces it
// with an empty request of the same method and answers the client with the
// method's response carrying Status FORBIDDEN (40300), which RocketMQ
// clients raise as a permission error. Once a rule can deny, a method the
// map does not know, a request that does not parse or misses a resource, and
// a compressed request are refused (fail closed), counted by reason.
import { ConfigReader } from "../../assembly/common/config";
import { CounterFamily } from "../../assembly/common/labelled_metrics";
import { FieldRewriter, rewriteAt } from "../../assembly/common/protobuf";
import { Identity } from "../../assembly/common/identity";
import { actionNames, Requirements, resourceTypeName, RESOURCE_GROUP, RESOURCE_TOPIC } from "../../assembly/rocketmq/authorization";
import { readGrpcRequirements } from "../../assembly/rocketmq/grpc/authorization";
import { Method, methodName } from "../../assembly/rocketmq/grpc/methods";
import { RocketMQPolicy } from "../../assembly/rocketmq/policy";

export class GrpcAcl {
  // Requests refused without being judged by their resources: reason
  // unknown (a method the map does not know), unreadable, compressed.
  readonly refused: CounterFamily = new CounterFamily("mqmesh_rocketmq_grpc_acl_refused_total", ["api", "reason"]);
  // Set by judge(): the denied topic (for the metrics' topic label), or "".
  deniedTopic: string = "";
  // Set by judge(): why a request was refused, or why it was denied.
  reason: string = "";

  constructor(readonly policy: RocketMQPolicy) {}

  static read(root: ConfigReader): GrpcAcl {
    return new GrpcAcl(RocketMQPolicy.read(root, true));
  }

  // Whether requests are judged at all: once some rule can deny.
  get checks(): bool {
    return this.policy.enabled && this.policy.denies;
  }

  // A call of a MessagingService method the map does not know.
  refuseMethod(path: string): string {
    this.refused.add(["other", "unknown"]);
    return "mqmesh: " + path + " is unknown to the sidecar; denied by its ACL";
  }

  // A compressed request: its resources cannot be read.
  refuseCompressed(method: Method): bool {
    this.refuse(method, "compressed", "a compressed request cannot be judged");
    return false;
  }

  // Whether request `message` of `method` is allowed to `caller` (whose
  // group becomes the request's). When not, deniedTopic and reason say why.
  allows(method: Method, message: Uint8Array, caller: Identity): bool {
    this.deniedTopic = "";
    const reqs = readGrpcRequirements(method, message);
    caller.group = firstGroup(reqs);
    if (!reqs.known) return this.refuse(method, "unknown", "the method is unknown to the sidecar");
    if (reqs.unreadable !== null) return this.refuse(method, "unreadable", reqs.unreadable!);
    const routeLookup = method == Method.QueryRoute || method == Method.QueryAssignment;
    for (let i = 0; i < reqs.items.length; i++) {
      const r = unchecked(reqs.items[i]);
      if (this.policy.allowsRequirement(r, routeLookup, caller)) continue;
      if (r.type == RESOURCE_TOPIC) this.deniedTopic = r.name;
      this.reason = "mqmesh: " + methodName(method) + " (" + actionNames(r.actions) + " on " +
        resourceTypeName(r.type).toLowerCase() + " " + r.name + ") is not allowed by the sidecar's ACL";
      return false;
    }
    return true;
  }

  private refuse(method: Method, reason: string, why: string): bool {
    this.refused.add([methodName(method), reason]);
    this.reason = "mqmesh: " + methodName(method) + ": " + why + "; denied by the sidecar's ACL";
    return false;
  }
}

const EMPTY = new Uint8Array(0);

class Emptied extends FieldRewriter {
  rewrite(payload: Uint8Array): Uint8Array | null {
    return EMPTY;
  }
}
const EMPTIED = new Emptied();

// What goes to the proxy in place of a denied request: an empty message of
// the method, which the proxy rejects without touching any topic. Telemetry
// settings (the proxy answers nothing to an empty command, and a client
// waits for that answer before it starts) go as the client's settings with
// their publishing and subscription emptied: naming no topic or group.
export function deniedStandIn(method: Method, message: Uint8Array): Uint8Array {
  if (method != Method.Telemetry) return EMPTY;
  let out = message;
  const publishing = rewriteAt(out, [2, 5], EMPTIED);
  if (publishing !== null) out = publishing;
  const subscription = rewriteAt(out, [2, 6], EMPTIED);
  if (subscription !== null) out = subscription;
  return out === message ? EMPTY : out;
}

function firstGroup(reqs: Requirements): string {
  for (let i = 0; i < reqs.items.length; i++) {
    if (unchecked(reqs.items[i]).type == RESOURCE_GROUP) return unchecked(reqs.items[i]).name;
  }
  return "";
}
