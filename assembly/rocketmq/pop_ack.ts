// The pop consumer side (RocketMQ 5): POP_MESSAGE, PEEK_MESSAGE,
// ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME, NOTIFICATION and POLLING_INFO
// name consumerGroup and topic in their headers; BATCH_ACK_MESSAGE has an
// empty header and a JSON body {"acks":[{"c":group,"t":topic,...}],...}
// (BatchAck writes one-letter names and reads either).
import { JsonValue, parseJson } from "../common/json";
import { RemotingCommand } from "./command";
import { quoteBareKeys } from "./fastjson";
import {
  ACK_MESSAGE, BATCH_ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME, NOTIFICATION, PEEK_MESSAGE, POLLING_INFO, POP_MESSAGE,
} from "./request_codes";

export class ConsumeTarget {
  constructor(public consumerGroup: string, public topic: string) {}
}

export function isPopAckRequest(code: i32): bool {
  return code == POP_MESSAGE || code == PEEK_MESSAGE || code == ACK_MESSAGE || code == CHANGE_MESSAGE_INVISIBLETIME ||
    code == NOTIFICATION || code == POLLING_INFO || code == BATCH_ACK_MESSAGE;
}

// Every (group, topic) a pop-family request touches: one for a header-based
// request, one per ack for BATCH_ACK_MESSAGE. Null when cmd is not one of
// these requests or cannot be read (a filter then passes or rejects it by
// its own policy).
export function readPopAck(cmd: RemotingCommand): ConsumeTarget[] | null {
  if (cmd.isResponse || !isPopAckRequest(cmd.code)) return null;
  const out: ConsumeTarget[] = [];
  if (cmd.code != BATCH_ACK_MESSAGE) {
    const topic = cmd.extFields.get("topic");
    if (topic === null || topic.length == 0) return null;
    out.push(new ConsumeTarget(cmd.extFields.getOr("consumerGroup", ""), topic));
    return out;
  }
  const body = cmd.body;
  const r = parseJson(quoteBareKeys(String.UTF8.decodeUnsafe(body.dataStart, <usize>body.length)));
  if (!r.ok) return null;
  const acks = r.value.get("acks");
  if (!acks || !acks.isArray) return null;
  for (let i = 0; i < acks.length; i++) {
    const a = acks.at(i)!;
    const t = member(a, "t", "topic");
    if (t.length == 0) return null;
    out.push(new ConsumeTarget(member(a, "c", "consumerGroup"), t));
  }
  return out;
}

function member(obj: JsonValue, short: string, long: string): string {
  let v = obj.get(short);
  if (!v) v = obj.get(long);
  return v && v.isString ? v.asString() : "";
}
