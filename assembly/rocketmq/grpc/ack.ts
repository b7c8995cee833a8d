// AckMessageRequest {Resource group = 1; Resource topic = 2; repeated AckMessageEntry entries = 3;}
// AckMessageResponse {Status status = 1; repeated AckMessageResultEntry entries = 2;}
//   (AckMessageResultEntry {string message_id = 1; string receipt_handle = 2; Status status = 3;})
import { ProtoReader, WireType } from "../../common/protobuf";
import { readResource } from "./resource";
import { readStatus } from "./status";

export class AckRequest {
  group: string = "";
  topic: string = "";
  entries: i32 = 0;
}

export function readAckMessageRequest(msg: Uint8Array): AckRequest | null {
  const r = ProtoReader.of(msg);
  const out = new AckRequest();
  while (r.next()) {
    if ((r.field == 1 || r.field == 2) && r.wireType == WireType.Len) {
      const field = r.field;
      const sub = r.message();
      const name = readResource(sub).name;
      if (!sub.ok) return null;
      if (field == 1) out.group = name;
      else out.topic = name;
    } else if (r.field == 3 && r.wireType == WireType.Len) {
      r.skip();
      out.entries++;
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}

// Entries of an AckMessageResponse whose own status is OK (20000).
export function countAckedEntries(msg: Uint8Array): i32 {
  const r = ProtoReader.of(msg);
  let ok = 0;
  while (r.next()) {
    if (r.field == 2 && r.wireType == WireType.Len) {
      const entry = r.message();
      while (entry.next()) {
        if (entry.field == 3 && entry.wireType == WireType.Len) {
          if (readStatus(entry.message()).code == 20000) ok++;
        } else {
          entry.skip();
        }
      }
    } else {
      r.skip();
    }
  }
  return r.ok ? ok : 0;
}
