// The body of SEND_BATCH_MESSAGE (MessageDecoder.encodeMessages): messages
// back to back, each
//   i32 totalSize | i32 magicCode | i32 bodyCRC | i32 flag
//   | i32 bodyLen, body | i16 propertiesLen, properties (UTF-8)
// totalSize counts the whole message including itself. A filter adding
// trace context to a batch adds it to each message's properties.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { withProperty } from "./properties";

export class BatchMessage {
  constructor(
    public magicCode: i32,
    public bodyCrc: i32,
    public flag: i32,
    public body: Uint8Array, // view into the batch body
    public properties: string,
  ) {}
}

export class BatchResult {
  error: string | null = null;
  messages: BatchMessage[] = [];
  get ok(): bool {
    return this.error === null;
  }
}

export function decodeBatch(body: Uint8Array): BatchResult {
  const out = new BatchResult();
  const r = new BytesReader(body);
  while (r.ok && r.remaining > 0) {
    const at = r.pos;
    const total = r.i32();
    const magic = r.i32();
    const crc = r.i32();
    const flag = r.i32();
    const bodyLen = r.i32();
    if (bodyLen < 0) r.fail("negative body length");
    const msgBody = r.bytes(bodyLen);
    const propsLen = <i32>r.i16();
    if (propsLen < 0) r.fail("negative properties length");
    const props = r.utf8(propsLen);
    if (r.ok && r.pos - at != total) r.fail("totalSize " + total.toString() + " != " + (r.pos - at).toString());
    if (r.ok) out.messages.push(new BatchMessage(magic, crc, flag, msgBody, props));
  }
  if (!r.ok) out.error = "batch message " + out.messages.length.toString() + ": " + r.error!;
  return out;
}

// Encodes messages as encodeMessages does; null when a message's properties
// exceed the i16 length (Java would silently corrupt the batch).
export function encodeBatch(messages: BatchMessage[]): Uint8Array | null {
  const w = new BytesWriter(256);
  for (let i = 0; i < messages.length; i++) {
    const m = unchecked(messages[i]);
    const props = String.UTF8.encode(m.properties);
    if (props.byteLength > 32767) return null;
    const total = 4 + 4 + 4 + 4 + 4 + m.body.length + 2 + props.byteLength;
    w.i32(total);
    w.i32(m.magicCode);
    w.i32(m.bodyCrc);
    w.i32(m.flag);
    w.i32(m.body.length);
    w.bytes(m.body);
    w.i16(<i16>props.byteLength);
    w.bytes(Uint8Array.wrap(props));
  }
  return w.toBytes();
}

// The batch with `name` set to `value` on every message, or null when the
// body does not decode or a message would outgrow its properties length.
export function setBatchProperty(body: Uint8Array, name: string, value: string): Uint8Array | null {
  const b = decodeBatch(body);
  if (!b.ok) return null;
  for (let i = 0; i < b.messages.length; i++) {
    const m = unchecked(b.messages[i]);
    m.properties = withProperty(m.properties, name, value);
  }
  return encodeBatch(b.messages);
}
