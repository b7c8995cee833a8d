// HeartbeatRequest {optional Resource group = 1; ClientType client_type = 2;}
import { ProtoReader, WireType } from "../../common/protobuf";
import { readResource } from "./resource";

// The consumer group a heartbeat names ("" for producers); null if broken.
export function readHeartbeatGroup(msg: Uint8Array): string | null {
  const r = ProtoReader.of(msg);
  let group = "";
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      group = readResource(sub).name;
      if (!sub.ok) return null;
    } else {
      r.skip();
    }
  }
  return r.ok ? group : null;
}
