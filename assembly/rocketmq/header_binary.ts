// The binary serialization of a RemotingCommand header (SerializeType.ROCKETMQ,
// RocketMQSerializable), all big-endian:
//   i16 code | u8 language | i16 version | i32 opaque | i32 flag
//   | i32 remarkLen, remark | i32 extLen, ext
// where ext is a run of (i16 keyLen, key, i32 valueLen, value), UTF-8.
// code and version are shorts on the wire: Java truncates larger values when
// writing and sign-extends when reading, so POP_MESSAGE (200050) cannot
// travel in this form; we read and write exactly as Java does.
import { BytesReader } from "../common/bytes_reader";
import { BytesWriter } from "../common/bytes_writer";
import { RemotingCommand } from "./command";
import { ExtFields } from "./ext_fields";

// Smallest header: the fixed fields and two empty lengths.
export const BINARY_HEADER_MIN: i32 = 2 + 1 + 2 + 4 + 4 + 4 + 4;

// Fills cmd from the header bytes; returns an error message or null. An empty
// remark reads as null, as in Java. Bytes left after the ext map are an
// error: Java would take them for the start of the body.
export function decodeBinaryHeader(header: Uint8Array, cmd: RemotingCommand): string | null {
  const r = new BytesReader(header);
  cmd.code = <i32>r.i16();
  cmd.language = <i32>r.u8();
  cmd.version = <i32>r.i16();
  cmd.opaque = r.i32();
  cmd.flag = r.i32();
  const remarkLen = r.i32();
  if (remarkLen < 0) return "binary header: negative remark length";
  cmd.remark = remarkLen == 0 ? null : r.utf8(remarkLen);
  const extLen = r.i32();
  if (extLen < 0) return "binary header: negative extFields length";
  const ext = r.sub(extLen);
  if (!r.ok) return "binary header: " + r.error!;
  cmd.extFields = new ExtFields();
  while (ext.ok && ext.remaining > 0) {
    const kl = <i32>ext.i16();
    if (kl < 0) return "binary header: negative key length";
    const key = ext.utf8(kl);
    const vl = ext.i32();
    if (vl < 0) return "binary header: negative value length";
    const value = ext.utf8(vl);
    if (ext.ok) cmd.extFields.add(key, value);
  }
  if (!ext.ok) return "binary header: extFields " + ext.error!;
  if (r.remaining != 0) return "binary header: " + r.remaining.toString() + " bytes after extFields";
  return null;
}

function str(w: BytesWriter, s: string, shortLen: bool): void {
  const at = w.length;
  if (shortLen) w.i16(0);
  else w.i32(0);
  const n = w.utf8(s);
  if (shortLen) {
    w.buf[at] = <u8>(n >> 8);
    w.buf[at + 1] = <u8>n;
  } else {
    w.setI32At(at, n);
  }
}

export function encodeBinaryHeader(cmd: RemotingCommand): Uint8Array {
  const w = new BytesWriter(64);
  w.i16(<i16>cmd.code);
  // A JSON language name we did not know has no byte: say OTHER.
  w.u8(cmd.language >= 0 ? <u8>cmd.language : 7);
  w.i16(<i16>cmd.version);
  w.i32(cmd.opaque);
  w.i32(cmd.flag);
  const remark = cmd.remark;
  if (remark !== null && remark.length > 0) str(w, remark, false);
  else w.i32(0);
  const at = w.length;
  w.i32(0);
  const ext = cmd.extFields;
  for (let i = 0; i < ext.length; i++) {
    str(w, ext.keyAt(i), true);
    str(w, ext.valueAt(i), false);
  }
  w.setI32At(at, w.length - at - 4);
  return w.toBytes();
}
