// Resources named in the JSON body of a remoting request (heartbeats, queue
// lock batches, batch acks, topic and group admin), read for authorization.
//
// The broker decodes these bodies with fastjson 1.x, which is lenient in ways
// a bypass could use: a bean property matches its key case-insensitively and
// ignoring '_' and '-' ("consumer_group" sets consumerGroup), BatchAck also
// takes its long names ("consumerGroup" for "c"), and a repeated key sets the
// property again. So a name is collected from every member that fastjson
// could map to the property, not only the exact key, and a request is
// unreadable (refused) when a name it needs is missing, blank, or in a shape
// fastjson would not turn into a string. Text this scanner does not accept
// (fastjson's single quotes, comments, stray commas) is unreadable too.
//
// The metrics readers (heartbeat.ts, pop_ack.ts) read the same bodies
// leniently for labels; these readers are strict on purpose.
import { ArrayScan, Member, ObjectScan, scanArray, scanObject, skipWs, stringAt } from "./fastjson";
import {
  isBlank, isRetryTopic, Requirements, RESOURCE_GROUP, RESOURCE_TOPIC, retryGroup,
} from "./authorization";
import {
  BODY_BATCH_ACK, BODY_CHECK_CLIENT, BODY_GROUP_CONFIG, BODY_GROUP_CONFIGS, BODY_HEARTBEAT, BODY_LOCK_BATCH,
  BODY_TOPIC_CONFIGS, BODY_TOPIC_GROUP,
} from "./authorization_codes";

// fastjson's smart match: lower case, without '_' and '-'.
function smartKey(key: string): string {
  let out = "";
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c == 0x5f || c == 0x2d) continue;
    out += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return out;
}

class Body {
  constructor(public text: string, public out: Requirements, public meshOnly: bool) {}

  fail(why: string): void {
    this.out.fail("body " + why);
  }

  object(at: i32, where: string): ObjectScan | null {
    const o = scanObject(this.text, at);
    if (!o.ok) {
      this.fail(where + ": " + o.error!);
      return null;
    }
    return o;
  }

  // Members fastjson could map to a property spelled any of `names`.
  members(o: ObjectScan, names: string[]): Member[] {
    const out: Member[] = [];
    for (let i = 0; i < o.members.length; i++) {
      const m = unchecked(o.members[i]);
      const k = smartKey(m.key);
      for (let j = 0; j < names.length; j++) {
        if (k == smartKey(unchecked(names[j]))) {
          out.push(m);
          break;
        }
      }
    }
    return out;
  }

  isNull(m: Member): bool {
    return this.text.substring(m.start, m.end) == "null";
  }

  // The strings of a String property; a number or boolean counts as its text
  // (fastjson converts), null as absent; anything else fails.
  strings(o: ObjectScan, names: string[], where: string): string[] {
    const out: string[] = [];
    const ms = this.members(o, names);
    for (let i = 0; i < ms.length; i++) {
      const m = unchecked(ms[i]);
      if (this.isNull(m)) continue;
      const c = this.text.charCodeAt(m.start);
      if (c == 0x22) {
        const s = stringAt(this.text, m.start, m.end);
        if (s === null) {
          this.fail(where + ": bad string");
          return [];
        }
        out.push(s);
      } else if (c == 0x7b || c == 0x5b) {
        this.fail(where + ": not a string");
        return [];
      } else {
        out.push(this.text.substring(m.start, m.end));
      }
    }
    return out;
  }

  // The elements of every array member (null members count as none).
  arrays(o: ObjectScan, names: string[], where: string, required: bool): ArrayScan[] {
    const out: ArrayScan[] = [];
    const ms = this.members(o, names);
    for (let i = 0; i < ms.length; i++) {
      const m = unchecked(ms[i]);
      if (this.isNull(m)) continue;
      const a = scanArray(this.text, m.start);
      if (!a.ok) {
        this.fail(where + ": " + a.error!);
        return [];
      }
      out.push(a);
    }
    if (required && out.length == 0) this.fail(where + " is missing");
    return out;
  }

  // Each element of the arrays, as an object; null when one is not.
  elements(lists: ArrayScan[], where: string): ObjectScan[] | null {
    const out: ObjectScan[] = [];
    for (let i = 0; i < lists.length; i++) {
      const a = unchecked(lists[i]);
      for (let j = 0; j < a.starts.length; j++) {
        const o = this.object(unchecked(a.starts[j]), where + "[" + j.toString() + "]");
        if (o === null) return null;
        out.push(o);
      }
    }
    return out;
  }

  // The objects of the array member(s) `name` of o; null when one is not an object.
  list(o: ObjectScan, name: string, where: string, required: bool): ObjectScan[] | null {
    return this.elements(this.arrays(o, [name], where, required), where);
  }

  // A name the request must give: every non-blank spelling is judged, and
  // there must be one. A group "%RETRY%g" is group g (Resource.ofGroup).
  required(o: ObjectScan, names: string[], type: u8, actions: u8, where: string, skipRetry: bool = false): void {
    const values = this.strings(o, names, where);
    let found = false;
    for (let i = 0; i < values.length; i++) {
      const v = unchecked(values[i]);
      if (isBlank(v)) continue;
      found = true;
      if (isRetryTopic(v)) {
        if (type == RESOURCE_TOPIC && skipRetry) continue;
        const group = retryGroup(v);
        if (isBlank(group)) this.fail(where + " names the retry topic of no group");
        else this.out.add(RESOURCE_GROUP, group, actions, "body " + where, this.meshOnly);
      } else {
        this.out.add(type, v, actions, "body " + where, this.meshOnly);
      }
    }
    if (!found) this.fail(where + " is missing or blank");
  }
}

// Adds the resources `body` names for a body kind of authorization_codes.ts.
export function readBodyRequirements(kind: u8, body: Uint8Array, actions: u8, meshOnly: bool, out: Requirements): void {
  const text = String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length);
  const b = new Body(text, out, meshOnly);
  const top = b.object(0, "");
  if (top === null) return;
  if (skipWs(text, top.end) != text.length) {
    b.fail("has bytes after the JSON object");
    return;
  }
  if (kind == BODY_HEARTBEAT) heartbeat(b, top, actions);
  else if (kind == BODY_LOCK_BATCH) lockBatch(b, top, actions);
  else if (kind == BODY_BATCH_ACK) batchAck(b, top, actions);
  else if (kind == BODY_TOPIC_CONFIGS) configs(b, top, "topicConfigList", "topicName", RESOURCE_TOPIC, actions);
  else if (kind == BODY_GROUP_CONFIG) b.required(top, ["groupName"], RESOURCE_GROUP, actions, "groupName");
  else if (kind == BODY_GROUP_CONFIGS) configs(b, top, "groupConfigList", "groupName", RESOURCE_GROUP, actions);
  else if (kind == BODY_TOPIC_GROUP) {
    b.required(top, ["topic"], RESOURCE_TOPIC, actions, "topic");
    b.required(top, ["consumerGroup"], RESOURCE_GROUP, actions, "consumerGroup");
  } else if (kind == BODY_CHECK_CLIENT) checkClient(b, top, actions);
  else b.fail("kind " + kind.toString() + " has no reader");
}

// HeartbeatData: each consumer's group, and the topics it subscribes (a
// retry topic is its group's, judged already). Producers name nothing.
function heartbeat(b: Body, top: ObjectScan, actions: u8): void {
  const consumers = b.list(top, "consumerDataSet", "consumerDataSet", false);
  if (consumers === null) return;
  for (let i = 0; i < consumers.length; i++) {
    const c = unchecked(consumers[i]);
    const at = "consumerDataSet[" + i.toString() + "]";
    b.required(c, ["groupName"], RESOURCE_GROUP, actions, at + ".groupName");
    const subs = b.list(c, "subscriptionDataSet", at + ".subscriptionDataSet", false);
    if (subs === null) return;
    for (let j = 0; j < subs.length; j++) {
      b.required(unchecked(subs[j]), ["topic"], RESOURCE_TOPIC, actions, at + ".subscriptionDataSet[" + j.toString() + "].topic", true);
    }
  }
}

// LockBatchRequestBody / UnlockBatchRequestBody: the group and every queue's topic.
function lockBatch(b: Body, top: ObjectScan, actions: u8): void {
  b.required(top, ["consumerGroup"], RESOURCE_GROUP, actions, "consumerGroup");
  const queues = b.list(top, "mqSet", "mqSet", false);
  if (queues === null) return;
  for (let i = 0; i < queues.length; i++) {
    b.required(unchecked(queues[i]), ["topic"], RESOURCE_TOPIC, actions, "mqSet[" + i.toString() + "].topic", true);
  }
}

// BatchAckMessageRequestBody: each ack's group ("c") and topic ("t").
function batchAck(b: Body, top: ObjectScan, actions: u8): void {
  const acks = b.list(top, "acks", "acks", true);
  if (acks === null) return;
  for (let i = 0; i < acks.length; i++) {
    const a = unchecked(acks[i]);
    const at = "acks[" + i.toString() + "]";
    b.required(a, ["c", "consumerGroup"], RESOURCE_GROUP, actions, at + ".c");
    b.required(a, ["t", "topic"], RESOURCE_TOPIC, actions, at + ".t");
  }
}

// CreateTopicListRequestBody / SubscriptionGroupList: one name per config.
function configs(b: Body, top: ObjectScan, list: string, name: string, type: u8, actions: u8): void {
  const items = b.list(top, list, list, true);
  if (items === null) return;
  for (let i = 0; i < items.length; i++) {
    b.required(unchecked(items[i]), [name], type, actions, list + "[" + i.toString() + "]." + name);
  }
}

// CheckClientRequestBody: the group and the subscription's topic.
function checkClient(b: Body, top: ObjectScan, actions: u8): void {
  b.required(top, ["group"], RESOURCE_GROUP, actions, "group");
  const subs = b.members(top, ["subscriptionData"]);
  let found = false;
  for (let i = 0; i < subs.length; i++) {
    const m = unchecked(subs[i]);
    if (b.isNull(m)) continue;
    const o = b.object(m.start, "subscriptionData");
    if (o === null) return;
    found = true;
    b.required(o, ["topic"], RESOURCE_TOPIC, actions, "subscriptionData.topic");
  }
  if (!found) b.fail("subscriptionData is missing");
}
