// The producer side: SEND_MESSAGE (long field names), SEND_MESSAGE_V2 and
// SEND_BATCH_MESSAGE (SendMessageRequestHeaderV2's one-letter names), and
// the reply variants. For a batch the request body holds the messages,
// each with its own properties (see batch.ts).
import { RemotingCommand } from "./command";
import { withProperty } from "./properties";
import {
  SEND_BATCH_MESSAGE, SEND_MESSAGE, SEND_MESSAGE_V2, SEND_REPLY_MESSAGE, SEND_REPLY_MESSAGE_V2,
} from "./request_codes";

// SendMessageRequestHeaderV2 field letters.
export const V2_PRODUCER_GROUP = "a";
export const V2_TOPIC = "b";
export const V2_DEFAULT_TOPIC = "c";
export const V2_DEFAULT_TOPIC_QUEUE_NUMS = "d";
export const V2_QUEUE_ID = "e";
export const V2_SYS_FLAG = "f";
export const V2_BORN_TIMESTAMP = "g";
export const V2_FLAG = "h";
export const V2_PROPERTIES = "i";
export const V2_RECONSUME_TIMES = "j";
export const V2_UNIT_MODE = "k";
export const V2_MAX_RECONSUME_TIMES = "l";
export const V2_BATCH = "m";
export const V2_BROKER_NAME = "n";

export function isSendRequest(code: i32): bool {
  return code == SEND_MESSAGE || code == SEND_MESSAGE_V2 || code == SEND_BATCH_MESSAGE ||
    code == SEND_REPLY_MESSAGE || code == SEND_REPLY_MESSAGE_V2;
}

// Whether the header uses the one-letter names. The code decides, as in
// SendMessageRequestHeader.parseRequestHeader.
export function usesShortNames(code: i32): bool {
  return code == SEND_MESSAGE_V2 || code == SEND_BATCH_MESSAGE || code == SEND_REPLY_MESSAGE_V2;
}

export class SendMessageInfo {
  producerGroup: string = "";
  topic: string = "";
  properties: string = ""; // raw \u0001/\u0002 string; "" when absent
  queueId: i32 = -1; // -1 when absent or not a number
  batch: bool = false;
  shortNames: bool = false;
  brokerName: string = "";
}

function toInt(s: string | null): i32 {
  if (s === null || s.length == 0 || s.length > 10) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  const v = I64.parseInt(s);
  return v > i32.MAX_VALUE ? -1 : <i32>v;
}

// What a filter needs from a send request, or null when cmd is not one or
// names no topic.
export function readSendMessage(cmd: RemotingCommand): SendMessageInfo | null {
  if (cmd.isResponse || !isSendRequest(cmd.code)) return null;
  const e = cmd.extFields;
  const info = new SendMessageInfo();
  const short = usesShortNames(cmd.code);
  info.shortNames = short;
  const topic = e.get(short ? V2_TOPIC : "topic");
  if (topic === null || topic.length == 0) return null;
  info.topic = topic;
  info.producerGroup = e.getOr(short ? V2_PRODUCER_GROUP : "producerGroup", "");
  info.properties = e.getOr(short ? V2_PROPERTIES : "properties", "");
  info.queueId = toInt(e.get(short ? V2_QUEUE_ID : "queueId"));
  info.batch = cmd.code == SEND_BATCH_MESSAGE || e.getOr(short ? V2_BATCH : "batch", "") == "true";
  info.brokerName = e.getOr(short ? V2_BROKER_NAME : "brokerName", "");
  return info;
}

// Sets one message property in a send request's header, leaving the other
// properties as the client wrote them. False when cmd is not a send request.
// For SEND_BATCH_MESSAGE the header properties are the batch's; the
// messages' own are in the body (batch.ts).
export function setSendProperty(cmd: RemotingCommand, name: string, value: string): bool {
  if (cmd.isResponse || !isSendRequest(cmd.code)) return false;
  const key = usesShortNames(cmd.code) ? V2_PROPERTIES : "properties";
  cmd.extFields.set(key, withProperty(cmd.extFields.getOr(key, ""), name, value));
  return true;
}
