// ReceiveMessageRequest {Resource group = 1; MessageQueue message_queue = 2; ...}
//   (MessageQueue {Resource topic = 1; int32 id = 2; ...; Broker broker = 4; ...})
// ReceiveMessageResponse {oneof content {Status status = 1; Message message = 2;
//   google.protobuf.Timestamp delivery_timestamp = 3;}}, streamed by the server.
import { ProtoReader, WireType } from "../../common/protobuf";
import { readResource } from "./resource";
import { MessageInfo, readMessageInfo } from "./message";
import { readStatus, Status } from "./status";

export class GroupTopic {
  group: string = "";
  topic: string = "";
}

// The topic of a MessageQueue message.
export function readQueueTopic(r: ProtoReader): string {
  let topic = "";
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      topic = readResource(sub).name;
      if (!sub.ok) r.fail("bad topic");
    } else {
      r.skip();
    }
  }
  return topic;
}

export function readReceiveMessageRequest(msg: Uint8Array): GroupTopic | null {
  const r = ProtoReader.of(msg);
  const out = new GroupTopic();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      out.group = readResource(sub).name;
      if (!sub.ok) return null;
    } else if (r.field == 2 && r.wireType == WireType.Len) {
      const sub = r.message();
      out.topic = readQueueTopic(sub);
      if (!sub.ok) return null;
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}

export class ReceiveMessageResponse {
  status: Status | null = null;
  message: MessageInfo | null = null;
}

export function readReceiveMessageResponse(msg: Uint8Array): ReceiveMessageResponse | null {
  const r = ProtoReader.of(msg);
  const out = new ReceiveMessageResponse();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      out.status = readStatus(sub);
      if (!sub.ok) return null;
    } else if (r.field == 2 && r.wireType == WireType.Len) {
      const sub = r.message();
      out.message = readMessageInfo(sub);
      if (!sub.ok) return null;
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}
