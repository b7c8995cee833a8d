// Kafka framing: every request and response is an int32 size followed by that
// many bytes. A filter buffers until a whole frame is present, and needs the
// api key, version and correlation id of a request before (or without)
// decoding its body.
import { BytesReader } from "../common/bytes_reader";

// Kafka's own default socket.request.max.bytes is 100 MiB; filters pass a
// tighter limit from their configuration.
export const DEFAULT_MAX_FRAME: i32 = 100 * 1024 * 1024;

// Result of frameStatus when the size prefix is negative or above the limit:
// the stream cannot be parsed and should pass through or close.
export const FRAME_INVALID: i32 = -1;
// Result when more bytes are needed.
export const FRAME_INCOMPLETE: i32 = 0;

// Total length (4 + size) of the frame starting at `offset` if it is
// complete, FRAME_INCOMPLETE if more bytes are needed, FRAME_INVALID if its
// size is negative or larger than maxSize.
export function frameStatus(buf: Uint8Array, offset: i32 = 0, maxSize: i32 = DEFAULT_MAX_FRAME): i32 {
  if (offset < 0 || offset > buf.length) return FRAME_INVALID;
  const avail = buf.length - offset;
  if (avail < 4) return FRAME_INCOMPLETE;
  const r = new BytesReader(buf, offset);
  const size = r.i32();
  if (size < 0 || size > maxSize || size > 0x7fffffff - 4) return FRAME_INVALID;
  if (avail - 4 < size) return FRAME_INCOMPLETE;
  return size + 4;
}

// The fixed first 8 bytes of every request header (all versions).
export class RequestPeek {
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  correlationId: i32 = 0;
}

// Api key, version and correlation id of the request frame at `offset`
// (size prefix included), or null if fewer than 12 bytes are there. Does not
// require the whole frame.
export function peekRequest(buf: Uint8Array, offset: i32 = 0): RequestPeek | null {
  if (offset < 0 || buf.length - offset < 12) return null;
  const r = new BytesReader(buf, offset + 4);
  const p = new RequestPeek();
  p.apiKey = r.i16();
  p.apiVersion = r.i16();
  p.correlationId = r.i32();
  return p;
}

// Correlation id of the response frame at `offset`, or -1 if not enough bytes
// (a real id can be -1 too; check the length first when that matters).
export function peekResponseCorrelationId(buf: Uint8Array, offset: i32 = 0): i32 {
  if (offset < 0 || buf.length - offset < 8) return -1;
  return new BytesReader(buf, offset + 4).i32();
}
