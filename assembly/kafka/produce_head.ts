// The topic count and first topic of a Produce request (v3-13), read from
// the frame's first bytes. A topic ACL judges a single-topic request from
// these alone (filters/kafka/acl.ts), so an allowed one need not be held
// whole: holding copies every record into the module and back out.
import { BytesReader } from "../common/bytes_reader";
import { readArrayLengthNotNull, readString, readUuid, skipNullableString, skipTaggedFields } from "./primitives";

export const enum HeadStatus {
  Read,
  // The bytes shown end before the first topic: more are needed.
  Short,
  // Not a readable Produce request up to its first topic.
  Malformed,
}

export class ProduceHead {
  status: HeadStatus = HeadStatus.Malformed;
  topicCount: i32 = 0;
  // The first topic: by name (v3-12) or by id (v13).
  topicName: string = "";
  topicId: Uint8Array = new Uint8Array(16);
}

// head: the frame after its size prefix, from its first byte; frameSize: the
// whole frame's size (a head that short and still unreadable is malformed).
export function readProduceHead(head: Uint8Array, frameSize: i32): ProduceHead {
  const out = new ProduceHead();
  const r = new BytesReader(head);
  r.skip(2); // api key
  const version = r.i16();
  r.skip(4); // correlation id
  const flex = version >= 9;
  skipNullableString(r, false); // client id: an int16 string in every header version
  if (flex) skipTaggedFields(r);
  skipNullableString(r, flex); // transactional id
  r.skip(6); // acks, timeout
  out.topicCount = readArrayLengthNotNull(r, flex);
  if (out.topicCount > 0) {
    if (version >= 13) out.topicId = readUuid(r);
    else out.topicName = readString(r, flex);
  }
  if (r.ok) out.status = HeadStatus.Read;
  else out.status = head.length < frameSize ? HeadStatus.Short : HeadStatus.Malformed;
  return out;
}
