// Messages in the broker's stored form, as a PULL_MESSAGE or
// LITE_PULL_MESSAGE response body carries them back to back
// (MessageDecoder.decodes), read only as far as a proxy needs: topic,
// queue, offset and properties (where trace context rides). Layout:
//   i32 totalSize | i32 magicCode | i32 bodyCRC | i32 queueId | i32 flag
//   | i64 queueOffset | i64 physicalOffset | i32 sysFlag | i64 bornTimestamp
//   | bornHost (4 or 16 address bytes, i32 port) | i64 storeTimestamp
//   | storeHost (4 or 16, i32 port) | i32 reconsumeTimes
//   | i64 preparedTransactionOffset | i32 bodyLength, body
//   | topic length (i8; i16 with magic code V2), topic | i16 propertiesLength, properties
// sysFlag bit 4 / bit 5 mark an IPv6 born / store host. The body may be
// compressed (sysFlag bit 0); it is skipped, never read.
import { BytesReader } from "../common/bytes_reader";

const MAGIC_CODE_V1: i32 = -626843481; // 0xDAA320A7
const MAGIC_CODE_V2: i32 = -626843477; // 0xDAA320AB
const BORN_HOST_V6: i32 = 1 << 4;
const STORE_HOST_V6: i32 = 1 << 5;
// Java decodes until the buffer ends; a client-side limit keeps a hostile
// body from making us allocate per message without end.
const MAX_MESSAGES: i32 = 65536;

export class StoredMessage {
  topic: string = "";
  queueId: i32 = 0;
  queueOffset: i64 = 0;
  bodyLength: i32 = 0;
  properties: string = "";
}

export class StoredMessages {
  messages: StoredMessage[] = [];
  // Why reading stopped early; null when the whole body was read.
  error: string | null = null;
}

function hostLength(sysFlag: i32, v6Bit: i32): i32 {
  return ((sysFlag & v6Bit) != 0 ? 16 : 4) + 4;
}

// Reads every message of a pull response body.
export function readStoredMessages(body: Uint8Array): StoredMessages {
  const out = new StoredMessages();
  const r = new BytesReader(body);
  while (r.ok && r.remaining > 0 && out.messages.length < MAX_MESSAGES) {
    const at = r.pos;
    const total = r.i32();
    if (!r.ok || total < 4 || total - 4 > r.remaining) {
      out.error = "message " + out.messages.length.toString() + ": bad totalSize";
      return out;
    }
    const s = new BytesReader(body, at + 4, at + total);
    r.skip(total - 4);
    const magic = s.i32();
    if (magic != MAGIC_CODE_V1 && magic != MAGIC_CODE_V2) {
      out.error = "message " + out.messages.length.toString() + ": unknown magic code";
      return out;
    }
    const m = new StoredMessage();
    s.skip(4); // bodyCRC
    m.queueId = s.i32();
    s.skip(4); // flag
    m.queueOffset = s.i64();
    s.skip(8); // physicalOffset
    const sysFlag = s.i32();
    s.skip(8 + hostLength(sysFlag, BORN_HOST_V6) + 8 + hostLength(sysFlag, STORE_HOST_V6) + 4 + 8);
    m.bodyLength = s.i32();
    if (m.bodyLength > 0) s.skip(m.bodyLength);
    const topicLength = magic == MAGIC_CODE_V2 ? <i32>s.i16() : <i32>s.i8();
    if (topicLength < 0) s.fail("negative topic length");
    m.topic = s.utf8(topicLength);
    const propertiesLength = <i32>s.i16();
    if (propertiesLength > 0) m.properties = s.utf8(propertiesLength);
    if (!s.ok) {
      out.error = "message " + out.messages.length.toString() + ": " + s.error!;
      return out;
    }
    out.messages.push(m);
  }
  if (!r.ok) out.error = r.error;
  return out;
}

// How many whole messages a pull response body holds, by their totalSize
// words alone (nothing else is read): what a limit counts.
export function countStoredMessages(body: Uint8Array): i32 {
  const r = new BytesReader(body);
  let n = 0;
  while (r.remaining >= 4) {
    const total = r.i32();
    if (!r.ok || total < 4 || total - 4 > r.remaining) break;
    r.skip(total - 4);
    n++;
  }
  return n;
}
