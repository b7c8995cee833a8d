// Every RPC of apache.rocketmq.v2.MessagingService and what its request asks
// to do in ACL 2.0 terms (authorization.ts): the topics and groups in the
// request message (each an apache.rocketmq.v2.Resource, found by its path of
// field numbers) and the action on them, as RocketMQ's proxy judges them
// (DefaultAuthorizationContextBuilder, gRPC half). Where RocketMQ 5.3 checks
// nothing (PullMessage, UpdateOffset, GetOffset, QueryOffset,
// SyncLiteSubscription, the topic of ChangeInvisibleDuration, the messages of
// a batch after the first) the mesh still does: marked MESH.
//
// Protobuf merges repeated occurrences of a singular message field, so a
// name may be spread over several; every non-empty name found on a path is
// judged (a superset of what the server reads). A resource a request must
// name and does not, or bytes that are not protobuf, make it unreadable.
import { ProtoReader, WireType } from "../../common/protobuf";
import {
  ACTION_GET, ACTION_PUB, ACTION_SUB, ACTION_UPDATE, isBlank, isRetryTopic, Requirements, RESOURCE_GROUP,
  RESOURCE_TOPIC, retryGroup,
} from "../authorization";
import { Method, methodName } from "./methods";

// Path flags.
export const PATH_REQUIRED: u8 = 1; // at least one occurrence with a non-blank name
export const PATH_IF_PARENT: u8 = 2; // required when the message holding it is there
export const PATH_MESH: u8 = 4; // RocketMQ 5.3 does not check it
export const PATH_FIRST_ONLY: u8 = 8; // RocketMQ checks the first name only; the rest are MESH

// When a method's paths apply.
export const WHEN_ALWAYS: u8 = 0;
export const WHEN_CONSUMER: u8 = 1; // HeartbeatRequest.client_type (2) is a consumer type
export const WHEN_SETTINGS: u8 = 2; // TelemetryCommand carries settings (2) with publishing or subscription

export class ResourcePath {
  constructor(
    public fields: u32[], // field numbers from the request down to the Resource
    public name: string, // the same path in field names, for logs and docs
    public type: u8,
    public actions: u8,
    public flags: u8,
    // The depth of the repeated field each of whose elements must lead to a
    // named Resource (messages[] of SendMessage), or -1.
    public each: i32,
  ) {}
}

export class MethodRule {
  paths: ResourcePath[] = [];
  ignored: string[] = []; // Resource paths that name nothing to judge, with why
  when: u8 = WHEN_ALWAYS;
  constructor(public method: Method, public note: string) {}

  topic(fields: u32[], name: string, actions: u8, flags: u8 = PATH_REQUIRED, each: i32 = -1): MethodRule {
    this.paths.push(new ResourcePath(fields, name, RESOURCE_TOPIC, actions, flags, each));
    return this;
  }

  group(fields: u32[], name: string, actions: u8, flags: u8 = PATH_REQUIRED): MethodRule {
    this.paths.push(new ResourcePath(fields, name, RESOURCE_GROUP, actions, flags, -1));
    return this;
  }

  only(when: u8): MethodRule {
    this.when = when;
    return this;
  }

  ignore(path: string): MethodRule {
    this.ignored.push(path);
    return this;
  }
}

const RULES: MethodRule[] = [];

function on(method: Method, note: string = ""): MethodRule {
  const r = new MethodRule(method, note);
  RULES.push(r);
  return r;
}

const PUB = ACTION_PUB;
const SUB = ACTION_SUB;
const MESH_REQ = PATH_REQUIRED | PATH_MESH;
const NOT_CHECKED = "RocketMQ 5.3 checks nothing for it (the 5.3 proxy does not serve it)";

function build(): void {
  on(Method.QueryRoute, "any of Pub, Sub on the topic").topic([1], "topic", PUB | SUB);
  on(Method.Heartbeat, "consumers only; a producer's heartbeat names nothing").group([1], "group", SUB).only(WHEN_CONSUMER);
  on(Method.SendMessage, "RocketMQ judges the first message's topic; the mesh judges every message's")
    .topic([1, 1], "messages[].topic", PUB, PATH_REQUIRED | PATH_FIRST_ONLY, 0);
  on(Method.QueryAssignment).topic([1], "topic", SUB).group([2], "group", SUB);
  on(Method.ReceiveMessage).group([1], "group", SUB).topic([2, 1], "message_queue.topic", SUB);
  on(Method.AckMessage).group([1], "group", SUB).topic([2], "topic", SUB);
  on(Method.ForwardMessageToDeadLetterQueue).group([1], "group", SUB).topic([2], "topic", SUB);
  on(Method.PullMessage, NOT_CHECKED).group([1], "group", SUB, MESH_REQ).topic([2, 1], "message_queue.topic", SUB, MESH_REQ);
  on(Method.UpdateOffset, NOT_CHECKED)
    .group([1], "group", SUB | ACTION_UPDATE, MESH_REQ).topic([2, 1], "message_queue.topic", SUB | ACTION_UPDATE, MESH_REQ);
  on(Method.GetOffset, NOT_CHECKED)
    .group([1], "group", SUB | ACTION_GET, MESH_REQ).topic([2, 1], "message_queue.topic", SUB | ACTION_GET, MESH_REQ);
  on(Method.QueryOffset, NOT_CHECKED).topic([1, 1], "message_queue.topic", SUB | ACTION_GET, MESH_REQ);
  on(Method.EndTransaction).topic([1], "topic", PUB);
  on(Method.Telemetry, "client settings only: publishing topics (Pub), the subscription's group and topics (Sub)")
    .topic([2, 5, 1], "settings.publishing.topics[]", PUB, 0, 2)
    .group([2, 6, 1], "settings.subscription.group", SUB, PATH_IF_PARENT)
    .topic([2, 6, 2, 1], "settings.subscription.subscriptions[].topic", SUB, 0, 2)
    .only(WHEN_SETTINGS)
    .ignore("recover_orphaned_transaction_command.message.topic: sent by the server")
    .ignore("verify_message_command.message.topic: sent by the server");
  on(Method.NotifyClientTermination, "a producer's names no group").group([1], "group", SUB, 0);
  on(Method.ChangeInvisibleDuration, "RocketMQ judges the group only; the mesh also judges the topic")
    .group([1], "group", SUB).topic([2], "topic", SUB, MESH_REQ);
  on(Method.RecallMessage).topic([1], "topic", PUB);
  on(Method.SyncLiteSubscription, "RocketMQ 5.3 does not know it")
    .topic([2], "topic", SUB, MESH_REQ).group([3], "group", SUB, MESH_REQ);
}

export function allMethodRules(): MethodRule[] {
  if (RULES.length == 0) build();
  return RULES;
}

export function methodRule(method: Method): MethodRule | null {
  const rules = allMethodRules();
  for (let i = 0; i < rules.length; i++) if (unchecked(rules[i]).method == method) return unchecked(rules[i]);
  return null;
}

// The names found on one path.
class Found {
  names: string[] = [];
  unnamed: i32 = 0; // elements (of the `each` field) that name nothing
}

// The last value of a Resource's name (2) in one occurrence.
function resourceName(msg: Uint8Array, out: Requirements): string {
  const r = ProtoReader.of(msg);
  let name = "";
  while (r.next()) {
    if (r.field == 2 && r.wireType == WireType.Len) name = r.string();
    else r.skip();
  }
  if (!r.ok) out.fail("a Resource is not protobuf: " + r.error!);
  return name;
}

function collect(msg: Uint8Array, p: ResourcePath, depth: i32, found: Found, out: Requirements): void {
  const r = ProtoReader.of(msg);
  const want = unchecked(p.fields[depth]);
  while (r.next()) {
    if (r.field != want || r.wireType != WireType.Len) {
      r.skip();
      continue;
    }
    const sub = r.bytes();
    const before = found.names.length;
    if (depth < p.fields.length - 1) {
      collect(sub, p, depth + 1, found, out);
    } else {
      const name = resourceName(sub, out);
      if (!isBlank(name)) found.names.push(name);
    }
    if (depth == p.each && found.names.length == before) found.unnamed++;
  }
  if (!r.ok) out.fail("not protobuf: " + r.error!);
}

// True when the message fields[0..depth] leads to occurs in msg (depth -1:
// msg itself).
function has(msg: Uint8Array, fields: u32[], depth: i32): bool {
  if (depth < 0 || fields.length == 0) return true;
  const r = ProtoReader.of(msg);
  while (r.next()) {
    if (r.field == unchecked(fields[0]) && r.wireType == WireType.Len) {
      if (depth == 0 || has(r.bytes(), fields.slice(1), depth - 1)) return true;
    } else {
      r.skip();
    }
  }
  return false;
}

// HeartbeatRequest.client_type: PRODUCER is 1, 0 unspecified; the others consume.
function isConsumer(msg: Uint8Array): bool {
  const r = ProtoReader.of(msg);
  let type: i32 = 0;
  while (r.next()) {
    if (r.field == 2 && r.wireType == WireType.Varint) type = r.int32();
    else r.skip();
  }
  return type != 0 && type != 1;
}

export function readGrpcRequirements(method: Method, msg: Uint8Array): Requirements {
  const out = new Requirements();
  const rule = methodRule(method);
  if (rule === null) {
    out.known = false;
    return out;
  }
  if (rule.when == WHEN_CONSUMER && !isConsumer(msg)) return out;
  if (rule.when == WHEN_SETTINGS) {
    if (!has(msg, [2], 0)) return out;
    if (!has(msg, [2, 5], 1) && !has(msg, [2, 6], 1)) {
      out.fail("settings without publishing or subscription");
      return out;
    }
  }
  for (let i = 0; i < rule.paths.length; i++) readPath(unchecked(rule.paths[i]), rule, msg, out);
  return out;
}

function readPath(p: ResourcePath, rule: MethodRule, msg: Uint8Array, out: Requirements): void {
  const found = new Found();
  collect(msg, p, 0, found, out);
  const where = methodName(rule.method) + " " + p.name;
  if (found.unnamed > 0) out.fail(where + " has an element without a name");
  const required = (p.flags & PATH_REQUIRED) != 0 ||
    ((p.flags & PATH_IF_PARENT) != 0 && has(msg, p.fields, p.fields.length - 2));
  if (required && found.names.length == 0) out.fail(where + " is missing");
  const seen = new Set<string>();
  for (let i = 0; i < found.names.length; i++) {
    let name = unchecked(found.names[i]);
    const type = p.type;
    if (type == RESOURCE_GROUP && isRetryTopic(name)) name = retryGroup(name); // Resource.ofGroup
    if (seen.has(name)) continue;
    seen.add(name);
    const mesh = (p.flags & PATH_MESH) != 0 || ((p.flags & PATH_FIRST_ONLY) != 0 && i > 0);
    out.add(type, name, p.actions, p.name, mesh);
  }
}
