// Builds apache.rocketmq.v2.SendMessageRequest {repeated Message messages = 1;}
// for a client that publishes (the HTTP bridge). Field numbers from
// definition.proto:
//   Message          {Resource topic = 1; map<string,string> user_properties = 2;
//                     SystemProperties system_properties = 3; bytes body = 4;}
//   Resource         {string resource_namespace = 1; string name = 2;}
//   SystemProperties {optional string tag = 1; repeated string keys = 2;
//                     string message_id = 3; Encoding body_encoding = 5;
//                     MessageType message_type = 6; Timestamp born_timestamp = 7;
//                     string born_host = 8; int32 queue_id = 13;
//                     optional string message_group = 17;}
//   Timestamp        {int64 seconds = 1; int32 nanos = 2;}
// The proxy picks the queue itself (by message group when there is one), so
// queue_id stays 0; message_id must not be empty (ILLEGAL_MESSAGE_ID).
import { ProtoWriter } from "../../common/protobuf";
import { writeResource } from "./resource";

export const ENCODING_IDENTITY: i32 = 1;
export const MESSAGE_TYPE_NORMAL: i32 = 1;
export const MESSAGE_TYPE_FIFO: i32 = 2;

export class OutgoingMessage {
  namespace: string = "";
  topic: string = "";
  body: Uint8Array = new Uint8Array(0);
  propertyNames: string[] = [];
  propertyValues: string[] = [];
  tag: string = "";
  keys: string[] = [];
  // Non-empty: a FIFO message of this group.
  messageGroup: string = "";
  messageId: string = "";
  bornMs: i64 = 0;
  bornHost: string = "";
}

function systemProperties(m: OutgoingMessage): ProtoWriter {
  const w = new ProtoWriter();
  if (m.tag.length > 0) w.string(1, m.tag);
  for (let i = 0; i < m.keys.length; i++) w.string(2, m.keys[i], true);
  w.string(3, m.messageId, true);
  w.int32(5, ENCODING_IDENTITY);
  w.int32(6, m.messageGroup.length > 0 ? MESSAGE_TYPE_FIFO : MESSAGE_TYPE_NORMAL);
  const ts = new ProtoWriter();
  // Floor division keeps nanos in [0, 1e9) for times before 1970 too.
  let seconds = m.bornMs / 1000;
  let millis = m.bornMs % 1000;
  if (millis < 0) {
    seconds -= 1;
    millis += 1000;
  }
  ts.varint(1, <u64>seconds);
  ts.int32(2, <i32>millis * 1000000);
  w.message(7, ts);
  w.string(8, m.bornHost);
  if (m.messageGroup.length > 0) w.string(17, m.messageGroup);
  return w;
}

export function encodeMessage(m: OutgoingMessage): ProtoWriter {
  const w = new ProtoWriter(m.body.length + 128);
  w.message(1, writeResource(m.namespace, m.topic));
  for (let i = 0; i < m.propertyNames.length; i++) {
    const e = new ProtoWriter();
    e.string(1, m.propertyNames[i], true);
    e.string(2, m.propertyValues[i], true);
    w.message(2, e);
  }
  w.message(3, systemProperties(m));
  w.bytes(4, m.body);
  return w;
}

export function encodeSendMessageRequest(messages: OutgoingMessage[]): Uint8Array {
  const w = new ProtoWriter();
  for (let i = 0; i < messages.length; i++) w.message(1, encodeMessage(messages[i]));
  return w.toBytes();
}
