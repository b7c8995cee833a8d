// SendMessageRequest {repeated Message messages = 1;}
// SendMessageResponse {Status status = 1; repeated SendResultEntry entries = 2;}
// (SendResultEntry {Status status = 1; string message_id = 2; ...})
import { ProtoReader, WireType } from "../../common/protobuf";
import { MessageInfo, readMessageInfo } from "./message";

// The messages of a SendMessageRequest, or null when it does not parse.
export function readSendMessageRequest(msg: Uint8Array): MessageInfo[] | null {
  const r = ProtoReader.of(msg);
  const out = new Array<MessageInfo>();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      const m = readMessageInfo(sub);
      if (!sub.ok) return null;
      out.push(m);
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}
