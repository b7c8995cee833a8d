// What a RocketMQ request asks to do, in the terms of RocketMQ 5's ACL 2.0:
// resources (a topic, a consumer or producer group, the cluster) and the
// actions on them (Pub, Sub, Create, Update, Delete, Get, List). A policy
// decides each Requirement; a request passes when every one of them does.
//
// One Requirement may name several actions: as in RocketMQ's own
// authorization, it is met when the caller may do any one of them (a route
// lookup is fine for a caller that may publish or subscribe or describe).
//
// The map from request code to resources lives in authorization_codes.ts
// (remoting) and grpc/authorization.ts (gRPC); both report through the
// classes here, so a policy judges the two protocols the same way.

export const RESOURCE_CLUSTER: u8 = 1;
export const RESOURCE_TOPIC: u8 = 2;
export const RESOURCE_GROUP: u8 = 3;

export const ACTION_PUB: u8 = 1;
export const ACTION_SUB: u8 = 2;
export const ACTION_CREATE: u8 = 4;
export const ACTION_UPDATE: u8 = 8;
export const ACTION_DELETE: u8 = 16;
export const ACTION_GET: u8 = 32;
export const ACTION_LIST: u8 = 64;

const ACTION_NAMES: string[] = ["Pub", "Sub", "Create", "Update", "Delete", "Get", "List"];

export function resourceTypeName(type: u8): string {
  if (type == RESOURCE_CLUSTER) return "Cluster";
  if (type == RESOURCE_TOPIC) return "Topic";
  if (type == RESOURCE_GROUP) return "Group";
  return "Unknown";
}

// "Pub,Sub" for ACTION_PUB | ACTION_SUB (ACL 2.0 spelling).
export function actionNames(actions: u8): string {
  let s = "";
  for (let i = 0; i < ACTION_NAMES.length; i++) {
    if ((actions & (<u8>1 << <u8>i)) == 0) continue;
    if (s.length > 0) s += ",";
    s += unchecked(ACTION_NAMES[i]);
  }
  return s;
}

// The bit of an ACL 2.0 action name (case-insensitive), 0 if none.
export function actionOf(name: string): u8 {
  const lower = name.toLowerCase();
  for (let i = 0; i < ACTION_NAMES.length; i++) {
    if (unchecked(ACTION_NAMES[i]).toLowerCase() == lower) return <u8>1 << <u8>i;
  }
  return 0;
}

export class Requirement {
  constructor(
    public type: u8,
    // The resource's name as the request spells it; "" for the cluster the
    // sidecar fronts when the request names none.
    public name: string,
    public actions: u8,
    // Where it was read ("topic", "b", "body mqSet[].topic"), for logs.
    public source: string,
    // True when RocketMQ 5.3's own authorization does not check it: the mesh
    // judges more than the broker (see the notes in the code map).
    public meshOnly: bool,
  ) {}
}

// What one request asks for. `unreadable` is set when a resource the request
// must name is missing or cannot be read: a filter with a policy refuses the
// request then (fail closed), as it does for an unknown code.
export class Requirements {
  items: Requirement[] = [];
  unreadable: string | null = null;
  // False for a code or method the map does not know (denied by policy).
  known: bool = true;

  get ok(): bool {
    return this.known && this.unreadable === null;
  }

  add(type: u8, name: string, actions: u8, source: string, meshOnly: bool): void {
    this.items.push(new Requirement(type, name, actions, source, meshOnly));
  }

  // Records the first reason only: later ones are usually consequences.
  fail(why: string): void {
    if (this.unreadable === null) this.unreadable = why;
  }
}

// RocketMQ's retry topic of a consumer group: "%RETRY%<group>". RocketMQ
// authorizes a retry topic as that group (NamespaceUtil.isRetryTopic: the
// prefix on a non-blank name).
export const RETRY_PREFIX = "%RETRY%";

export function isRetryTopic(name: string): bool {
  return name.startsWith(RETRY_PREFIX) && !isBlank(name);
}

export function retryGroup(topic: string): string {
  return topic.substring(RETRY_PREFIX.length);
}

// StringUtils.isBlank: empty or only characters Java's
// Character.isWhitespace accepts.
export function isBlank(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    if (!isJavaWhitespace(s.charCodeAt(i))) return false;
  }
  return true;
}

function isJavaWhitespace(c: i32): bool {
  if (c == 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return true;
  if (c < 0x1680) return false;
  // Unicode space, line and paragraph separators, except the no-break ones.
  return c == 0x1680 || (c >= 0x2000 && c <= 0x2006) || (c >= 0x2008 && c <= 0x200a) ||
    c == 0x2028 || c == 0x2029 || c == 0x205f || c == 0x3000;
}
