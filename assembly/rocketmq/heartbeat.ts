// HEART_BEAT: the client announces itself and its groups. The body is
// HeartbeatData as JSON:
//   {"clientID":"ip@pid#...","consumerDataSet":[{"groupName":"g",
//     "subscriptionDataSet":[{"topic":"t","subString":"*",...}],...}],
//    "producerDataSet":[{"groupName":"p"}],...}
// Read through json.ts after quoteBareKeys (nothing in HeartbeatData has
// numeric map keys today; the pre-pass keeps it so if one appears).
import { JsonValue, parseJson } from "../common/json";
import { RemotingCommand } from "./command";
import { quoteBareKeys } from "./fastjson";
import { HEART_BEAT } from "./request_codes";

export class HeartbeatInfo {
  clientId: string = "";
  producerGroups: string[] = [];
  consumerGroups: string[] = [];
  // One entry per subscription: subscribedGroups[i] subscribes subscribedTopics[i].
  subscribedGroups: string[] = [];
  subscribedTopics: string[] = [];
}

export class HeartbeatResult {
  constructor(public info: HeartbeatInfo | null, public error: string | null) {}
  get ok(): bool {
    return this.error === null;
  }
}

function str(v: JsonValue | null, key: string): string {
  if (!v) return "";
  const m = v.get(key);
  return m && m.isString ? m.asString() : "";
}

export function readHeartbeat(cmd: RemotingCommand): HeartbeatResult {
  if (cmd.isResponse || cmd.code != HEART_BEAT) return new HeartbeatResult(null, "not a heartbeat request");
  const body = cmd.body;
  const r = parseJson(quoteBareKeys(String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length)));
  if (!r.ok) return new HeartbeatResult(null, "heartbeat body: " + r.describe());
  const root = r.value;
  if (!root.isObject) return new HeartbeatResult(null, "heartbeat body is not an object");
  const info = new HeartbeatInfo();
  info.clientId = str(root, "clientID");
  const producers = root.get("producerDataSet");
  if (producers && producers.isArray) {
    for (let i = 0; i < producers.length; i++) info.producerGroups.push(str(producers.at(i), "groupName"));
  }
  const consumers = root.get("consumerDataSet");
  if (consumers && consumers.isArray) {
    for (let i = 0; i < consumers.length; i++) {
      const c = consumers.at(i)!;
      const group = str(c, "groupName");
      info.consumerGroups.push(group);
      const subs = c.get("subscriptionDataSet");
      if (!subs || !subs.isArray) continue;
      for (let j = 0; j < subs.length; j++) {
        info.subscribedGroups.push(group);
        info.subscribedTopics.push(str(subs.at(j), "topic"));
      }
    }
  }
  return new HeartbeatResult(info, null);
}
