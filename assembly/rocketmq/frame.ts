// Remoting framing. On the wire a command is
//   i32 length (of all that follows) | i32 (serializeType << 24 | headerLen)
//   | header | body
// FrameStream (common/frame_stream.ts) cuts the stream at the first int32,
// so everything here works on what follows it: "the frame".
import { BytesReader } from "../common/bytes_reader";
import { SERIALIZE_JSON, SERIALIZE_ROCKETMQ } from "./command";
import { FramePeek } from "./header_peek";

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

// What a filter needs to route or count a frame and to match a response to
// its request, read from the first bytes only: header_peek.ts.
export { FramePeek, PEEK_OK, PEEK_NEED_MORE, PEEK_INVALID } from "./header_peek";

export function peekFrame(head: Uint8Array, frameSize: i32 = -1, indexOnRead: bool = true): FramePeek {
  return new FramePeek(indexOnRead).read(head, frameSize);
}
