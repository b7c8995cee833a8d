// apache.rocketmq.v2.Message {Resource topic = 1; map<string,string>
// user_properties = 2; SystemProperties system_properties = 3; bytes body = 4;}
// Only what metrics and ACLs need: the topic and the body size.
import { ProtoReader, WireType } from "../../common/protobuf";
import { readResource } from "./resource";

export class MessageInfo {
  topic: string = "";
  bodyBytes: i32 = 0;
}

export function readMessageInfo(r: ProtoReader): MessageInfo {
  const m = new MessageInfo();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) {
      const sub = r.message();
      const res = readResource(sub);
      if (!sub.ok) r.fail("bad topic");
      m.topic = res.name;
    } else if (r.field == 4 && r.wireType == WireType.Len) {
      m.bodyBytes = r.bytes().length;
    } else {
      r.skip();
    }
  }
  return m;
}
