// apache.rocketmq.v2.SendMessageResponse {Status status = 1;
//   repeated SendResultEntry entries = 2;}
// SendResultEntry {Status status = 1; string message_id = 2;
//   string transaction_id = 3; int64 offset = 4; string recall_handle = 5;}
import { ProtoReader, WireType } from "../../common/protobuf";
import { Status, readStatus } from "./status";

export class SendResultEntry {
  status: Status = new Status();
  messageId: string = "";
  offset: i64 = -1;
}

export class SendMessageResponse {
  status: Status = new Status();
  entries: SendResultEntry[] = [];
}

function readEntry(r: ProtoReader): SendResultEntry {
  const e = new SendResultEntry();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      e.status = readStatus(sub);
      if (!sub.ok) r.fail("bad entry status");
    } else if (r.field == 2 && r.wireType == WireType.Len) e.messageId = r.string();
    else if (r.field == 4 && r.wireType == WireType.Varint) e.offset = r.int64();
    else r.skip();
  }
  return e;
}

// null when the message does not parse.
export function readSendMessageResponse(msg: Uint8Array): SendMessageResponse | null {
  const r = ProtoReader.of(msg);
  const out = new SendMessageResponse();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      out.status = readStatus(sub);
      if (!sub.ok) return null;
    } else if (r.field == 2 && r.wireType == WireType.Len) {
      const sub = r.message();
      const e = readEntry(sub);
      if (!sub.ok) return null;
      out.entries.push(e);
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}
