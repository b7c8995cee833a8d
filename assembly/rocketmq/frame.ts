// Remoting framing. On the wire a command is
//   i32 length (of all that follows) | i32 (serializeType << 24 | headerLen)
//   | header | body
// FrameStream (common/frame_stream.ts) cuts the stream at the first int32,
// so everything here works on what follows it: "the frame".
import { BytesReader } from "../common/bytes_reader";
import { SERIALIZE_JSON, SERIALIZE_ROCKETMQ, FLAG_ONEWAY, FLAG_RESPONSE } from "./command";
import { intAt, NOT_AN_INT, scanObject } from "./fastjson";
import { BINARY_HEADER_MIN } from "./header_binary";

export class FrameParts {
  error: string | null = null;
  serializeType: u8 = 0;
  header: Uint8Array = new Uint8Array(0); // views into the frame
  body: Uint8Array = new Uint8Array(0);
  get ok(): bool {
    return this.error === null;
  }
}

// Splits one complete frame into header and body without decoding either.
export function splitFrame(frame: Uint8Array): FrameParts {
  const p = new FrameParts();
  const r = new BytesReader(frame);
  const word = r.u32();
  if (!r.ok) {
    p.error = "frame shorter than its header length word";
    return p;
  }
  const type = <u8>(word >>> 24);
  const len = <i32>(word & 0xffffff);
  if (type != SERIALIZE_JSON && type != SERIALIZE_ROCKETMQ) {
    p.error = "unknown serialize type " + type.toString();
    return p;
  }
  if (len > r.remaining) {
    p.error = "header length " + len.toString() + " beyond the frame";
    return p;
  }
  p.serializeType = type;
  p.header = r.bytes(len);
  p.body = r.rest();
  return p;
}

// A frame with its length prefix, ready for the wire.
export function encodeFrame(serializeType: u8, header: Uint8Array, body: Uint8Array): Uint8Array {
  const total = 4 + header.length + body.length;
  const out = new Uint8Array(4 + total);
  const w = new DataView(out.buffer);
  w.setInt32(0, total, false);
  w.setUint32(4, (<u32>serializeType << 24) | (<u32>header.length & 0xffffff), false);
  out.set(header, 8);
  out.set(body, 8 + header.length);
  return out;
}

// Peek result: what a filter needs to route or count a frame and to match a
// response to its request, read from the first bytes only.
export const PEEK_OK: i32 = 0;
export const PEEK_NEED_MORE: i32 = 1; // more bytes of the frame are needed
export const PEEK_INVALID: i32 = 2;

export class FramePeek {
  status: i32 = PEEK_NEED_MORE;
  error: string | null = null;
  serializeType: u8 = 0;
  headerLength: i32 = 0;
  code: i32 = 0;
  opaque: i32 = 0;
  flag: i32 = 0;
  get isResponse(): bool {
    return (this.flag & FLAG_RESPONSE) != 0;
  }
  get isOneway(): bool {
    return (this.flag & FLAG_ONEWAY) != 0;
  }
}

function invalid(p: FramePeek, why: string): FramePeek {
  p.status = PEEK_INVALID;
  p.error = why;
  return p;
}

// code, opaque and flag from the start of a frame (`head` may be partial;
// frameSize, when known, is the whole frame's). A binary header has them at
// fixed offsets (17 bytes suffice); a JSON header is read whole, but only its
// top-level members are looked at.
export function peekFrame(head: Uint8Array, frameSize: i32 = -1): FramePeek {
  const p = new FramePeek();
  if (head.length < 4) return p;
  const r = new BytesReader(head);
  const word = r.u32();
  p.serializeType = <u8>(word >>> 24);
  p.headerLength = <i32>(word & 0xffffff);
  if (frameSize >= 0 && p.headerLength > frameSize - 4) return invalid(p, "header length beyond the frame");
  if (p.serializeType == SERIALIZE_ROCKETMQ) {
    if (p.headerLength < BINARY_HEADER_MIN) return invalid(p, "binary header too short");
    if (r.remaining < 13) return p;
    p.code = <i32>r.i16();
    r.skip(3); // language, version
    p.opaque = r.i32();
    p.flag = r.i32();
    p.status = PEEK_OK;
    return p;
  }
  if (p.serializeType != SERIALIZE_JSON) return invalid(p, "unknown serialize type " + p.serializeType.toString());
  if (r.remaining < p.headerLength) return p;
  const text = String.UTF8.decodeUnsafe(head.dataStart + 4, <usize>p.headerLength);
  const obj = scanObject(text, 0);
  if (!obj.ok) return invalid(p, "json header: " + obj.error!);
  const code = obj.find("code");
  const opaque = obj.find("opaque");
  const flag = obj.find("flag");
  p.code = code ? <i32>intAt(text, code.start, code.end) : 0;
  p.opaque = opaque ? <i32>intAt(text, opaque.start, opaque.end) : 0;
  p.flag = flag ? <i32>intAt(text, flag.start, flag.end) : 0;
  if ((code && !fitsI32(intAt(text, code.start, code.end))) ||
      (opaque && !fitsI32(intAt(text, opaque.start, opaque.end))) ||
      (flag && !fitsI32(intAt(text, flag.start, flag.end)))) {
    return invalid(p, "json header: code, opaque or flag is not an int");
  }
  p.status = PEEK_OK;
  return p;
}

function fitsI32(v: i64): bool {
  return v != NOT_AN_INT && v >= i32.MIN_VALUE && v <= i32.MAX_VALUE;
}
