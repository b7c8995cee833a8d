// apache.rocketmq.v2.Resource {string resource_namespace = 1; string name = 2;}
import { ProtoReader, ProtoWriter, WireType } from "../../common/protobuf";

export class Resource {
  namespace: string = "";
  name: string = "";
}

export function readResource(r: ProtoReader): Resource {
  const res = new Resource();
  while (r.next()) {
    if (r.field == 1 && r.wireType == WireType.Len) res.namespace = r.string();
    else if (r.field == 2 && r.wireType == WireType.Len) res.name = r.string();
    else r.skip();
  }
  return res;
}

// The Resource in field `field` of a message, or null when absent or broken.
export function resourceField(msg: Uint8Array, field: u32): Resource | null {
  const r = ProtoReader.of(msg);
  let out: Resource | null = null;
  while (r.next()) {
    if (r.field == field && r.wireType == WireType.Len) {
      const sub = r.message();
      const res = readResource(sub);
      if (sub.ok) out = res;
    } else {
      r.skip();
    }
  }
  return r.ok ? out : null;
}

export function writeResource(namespace: string, name: string): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, namespace);
  w.string(2, name);
  return w;
}
