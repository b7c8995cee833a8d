// The resources a remoting request names, read with the code map of
// authorization_codes.ts: header fields from the request's extFields (as the
// header decoders give them, the last of duplicate keys winning as in Java's
// HashMap), resources in the body through authorization_bodies.ts.
//
//   const reqs = readRemotingRequirements(cmd.code, cmd.extFields, cmd.body);
//   if (!reqs.ok) -> refuse (unknown or unserved code, or a resource missing)
//   else judge each reqs.items[i]; a request with no items names nothing.
import { ExtFields } from "./ext_fields";
import {
  ACTION_PUB, ACTION_SUB, isBlank, isRetryTopic, Requirements, RESOURCE_CLUSTER, RESOURCE_GROUP, RESOURCE_TOPIC,
  retryGroup,
} from "./authorization";
import { readBodyRequirements } from "./authorization_bodies";
import {
  BODY_NONE, codeRule, FieldRule, KIND_UNSERVED, MESH, REQUIRED, RETRY_AS_GROUP, RETRY_GROUP_SUB, SKIP_RETRY,
  SPLIT_COMMA, SPLIT_SEMICOLON,
} from "./authorization_codes";

export function readRemotingRequirements(code: i32, ext: ExtFields, body: Uint8Array): Requirements {
  const out = new Requirements();
  const rule = codeRule(code);
  if (rule === null || rule.kind == KIND_UNSERVED) {
    out.known = false;
    return out;
  }
  if (rule.clusterActions != 0) {
    // A cluster named in the header, or "" for the cluster the sidecar fronts.
    let name = "";
    if (rule.clusterKey.length > 0) {
      const v = ext.get(rule.clusterKey);
      if (v !== null && !isBlank(v)) name = v;
    }
    out.add(RESOURCE_CLUSTER, name, rule.clusterActions, rule.clusterKey, rule.clusterMeshOnly);
  }
  for (let i = 0; i < rule.fields.length; i++) readField(unchecked(rule.fields[i]), ext, out);
  if (rule.body != BODY_NONE) readBodyRequirements(rule.body, body, rule.bodyActions, rule.bodyMeshOnly, out);
  return out;
}

function readField(f: FieldRule, ext: ExtFields, out: Requirements): void {
  const v = ext.get(f.key);
  if (v === null || isBlank(v)) {
    if ((f.flags & REQUIRED) != 0) out.fail("header field " + f.key + (v === null ? " is missing" : " is blank"));
    return;
  }
  const sep = (f.flags & SPLIT_SEMICOLON) != 0 ? 0x3b : (f.flags & SPLIT_COMMA) != 0 ? 0x2c : 0;
  if (sep == 0) {
    addName(f, v, out);
    return;
  }
  // StringUtils.split: empty pieces are dropped.
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    if (i < v.length && v.charCodeAt(i) != sep) continue;
    if (i > start) addName(f, v.substring(start, i), out);
    start = i + 1;
  }
}

function addName(f: FieldRule, name: string, out: Requirements): void {
  const meshOnly = (f.flags & MESH) != 0;
  const asGroup = (f.flags & (RETRY_AS_GROUP | RETRY_GROUP_SUB)) != 0;
  if (!isRetryTopic(name) || !(asGroup || (f.type == RESOURCE_TOPIC && (f.flags & SKIP_RETRY) != 0))) {
    out.add(f.type, name, f.actions, f.key, meshOnly);
    return;
  }
  if (f.type == RESOURCE_TOPIC && (f.flags & SKIP_RETRY) != 0) return;
  const group = retryGroup(name);
  if (isBlank(group)) {
    out.fail("header field " + f.key + " names the retry topic of no group");
    return;
  }
  const sub = f.type == RESOURCE_TOPIC && (f.flags & RETRY_GROUP_SUB) != 0;
  out.add(RESOURCE_GROUP, group, sub ? (f.actions & ~ACTION_PUB) | ACTION_SUB : f.actions, f.key, meshOnly);
}
