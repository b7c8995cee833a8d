// The Kafka tunnel: the network-filter half of the bridge, on an Envoy
// internal listener in front of tcp_proxy to the broker (README.md,
// "Mechanism"). Envoy's HTTP/1.1 codec talks to that listener, so this side
// sees raw HTTP/1.1 bytes:
//
//   request   POST <any path> HTTP/1.1, body = exactly one Kafka request
//             frame (4-byte size prefix included), Content-Length or chunked
//             -> the body goes to the broker, nothing else
//   response  each Kafka response frame from the broker
//             -> HTTP/1.1 200, x-mqmesh-tunnel: kafka, body = the frame
//
// Envoy's HTTP/1.1 connection pool has at most one request in flight per
// connection and Kafka answers in request order, so the n-th frame back is the
// answer to the n-th request; the caller (the bridge's HTTP side) still checks
// the correlation id. Every tunneled request must get a response (no Produce
// with acks=0). Anything that is not this framing closes the connection: the
// caller sees a reset, never a wrong answer.
//
// Pure logic, no host calls: connection.ts feeds it Envoy's buffers and
// replaces them with `output` (see frame_stream.ts for why a network filter
// never pauses).

export const TUNNEL_HEADER: string = "x-mqmesh-tunnel";
export const TUNNEL_CONTENT_TYPE: string = "application/x-kafka-frame";
const MAX_HEAD: i32 = 16384;

export class Bytes {
  data: Uint8Array = new Uint8Array(256);
  length: i32 = 0;

  append(src: Uint8Array): void {
    const n = src.length;
    if (n == 0) return;
    if (this.length + n > this.data.length) {
      let capacity = this.data.length << 1;
      while (capacity < this.length + n) capacity <<= 1;
      const grown = new Uint8Array(capacity);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(src, this.length);
    this.length += n;
  }

  appendString(s: string): void {
    this.append(Uint8Array.wrap(String.UTF8.encode(s)));
  }

  // Drops the first n bytes.
  consume(n: i32): void {
    if (n >= this.length) {
      this.length = 0;
      if (this.data.length > 65536) this.data = new Uint8Array(256);
      return;
    }
    this.data.copyWithin(0, n, this.length);
    this.length -= n;
  }

  view(): Uint8Array {
    return this.data.subarray(0, this.length);
  }

  take(): Uint8Array {
    const out = this.data.slice(0, this.length);
    this.length = 0;
    if (this.data.length > 65536) this.data = new Uint8Array(256);
    return out;
  }
}

// What to do with Envoy's buffer after a push.
export enum TunnelAction {
  // Replace Envoy's buffer with `output` (possibly empty) and continue.
  Replace = 0,
  // Close the connection.
  Close = 1,
}

export class KafkaTunnel {
  output: Uint8Array = new Uint8Array(0);
  error: string = "";
  requests: u64 = 0;
  responses: u64 = 0;
  private inbound: Bytes = new Bytes();
  private outbound: Bytes = new Bytes();
  private inflight: i32 = 0;

  constructor(private maxFrame: i32 = 64 * 1024 * 1024) {}

  get awaiting(): i32 {
    return this.inflight;
  }

  // HTTP request bytes from the caller -> Kafka request frames.
  pushRequest(chunk: Uint8Array): TunnelAction {
    this.inbound.append(chunk);
    const out = new Bytes();
    while (this.inbound.length > 0) {
      const used = this.parseRequest(out);
      if (used < 0) return this.fail();
      if (used == 0) break;
      this.inbound.consume(used);
      this.inflight++;
      this.requests++;
    }
    this.output = out.take();
    return TunnelAction.Replace;
  }

  // Kafka response bytes from the broker -> HTTP/1.1 responses.
  pushResponse(chunk: Uint8Array): TunnelAction {
    this.outbound.append(chunk);
    const out = new Bytes();
    while (this.outbound.length >= 4) {
      const b = this.outbound.data;
      const size = (<i32>b[0] << 24) | (<i32>b[1] << 16) | (<i32>b[2] << 8) | <i32>b[3];
      if (size < 4 || size > this.maxFrame) {
        this.error = "bad Kafka response frame size " + size.toString();
        return this.fail();
      }
      if (this.outbound.length - 4 < size) break;
      if (this.inflight == 0) {
        this.error = "a Kafka response no request asked for";
        return this.fail();
      }
      out.appendString(
        "HTTP/1.1 200 OK\r\ncontent-type: " + TUNNEL_CONTENT_TYPE + "\r\n" + TUNNEL_HEADER + ": kafka\r\ncontent-length: " +
          (size + 4).toString() + "\r\n\r\n",
      );
      out.append(this.outbound.data.subarray(0, size + 4));
      this.outbound.consume(size + 4);
      this.inflight--;
      this.responses++;
    }
    this.output = out.take();
    return TunnelAction.Replace;
  }

  private fail(): TunnelAction {
    this.output = new Uint8Array(0);
    return TunnelAction.Close;
  }

  // One request from the start of `inbound`: bytes used (> 0), 0 = need
  // more, -1 = not the tunnel's framing (error set).
  private parseRequest(out: Bytes): i32 {
    const buf = this.inbound.view();
    const headEnd = findHeadEnd(buf, min(buf.length, MAX_HEAD));
    if (headEnd < 0) {
      if (buf.length >= MAX_HEAD) return this.bad("request head larger than " + MAX_HEAD.toString() + " bytes");
      return 0;
    }
    // Request line.
    const lineEnd = indexOfCrlf(buf, 0, headEnd);
    const line = latin1(buf, 0, lineEnd);
    const sp1 = line.indexOf(" ");
    const sp2 = line.lastIndexOf(" ");
    if (sp1 <= 0 || sp2 <= sp1) return this.bad("malformed request line");
    if (line.substring(0, sp1) != "POST") return this.bad("only POST is tunneled");
    const version = line.substring(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return this.bad("unsupported HTTP version");
    // Headers.
    let contentLength: i64 = -1;
    let chunked = false;
    let pos = lineEnd + 2;
    while (pos < headEnd) {
      const end = indexOfCrlf(buf, pos, headEnd);
      const colon = indexOfByte(buf, 0x3a, pos, end);
      if (colon <= pos) return this.bad("malformed header line");
      const name = latin1(buf, pos, colon).toLowerCase();
      const value = latin1(buf, colon + 1, end).trim();
      if (name == "content-length") {
        const n = parseDecimal(value);
        if (n < 0 || (contentLength >= 0 && n != contentLength)) return this.bad("bad content-length");
        contentLength = n;
      } else if (name == "transfer-encoding") {
        if (value.toLowerCase() != "chunked") return this.bad("unsupported transfer-encoding " + value);
        chunked = true;
      }
      pos = end + 2;
    }
    if (chunked && contentLength >= 0) return this.bad("both content-length and chunked");
    const bodyStart = headEnd + 4;
    if (!chunked) {
      if (contentLength < 0) return this.bad("no content-length");
      if (contentLength > <i64>this.maxFrame + 4) return this.bad("body larger than the maximum frame");
      const n = <i32>contentLength;
      if (buf.length - bodyStart < n) return 0;
      const body = buf.subarray(bodyStart, bodyStart + n);
      if (!this.checkFrame(body)) return -1;
      out.append(body);
      return bodyStart + n;
    }
    // Chunked: re-read from the start of the body until it is complete.
    const body = new Bytes();
    let p = bodyStart;
    while (true) {
      const e = indexOfCrlf(buf, p, buf.length);
      if (e < 0) {
        if (buf.length - p > 64) return this.bad("malformed chunk size");
        return 0;
      }
      const semi = indexOfByte(buf, 0x3b, p, e);
      const size = parseHex(latin1(buf, p, semi < 0 ? e : semi).trim());
      if (size < 0 || size > <i64>this.maxFrame + 4 - body.length) return this.bad("bad chunk size");
      p = e + 2;
      if (size == 0) {
        // Trailers (ignored) up to the empty line.
        while (true) {
          const t = indexOfCrlf(buf, p, buf.length);
          if (t < 0) {
            if (buf.length - p > MAX_HEAD) return this.bad("trailers too large");
            return 0;
          }
          const empty = t == p;
          p = t + 2;
          if (empty) break;
        }
        break;
      }
      const n = <i32>size;
      if (buf.length - p < n + 2) return 0;
      if (buf[p + n] != 0x0d || buf[p + n + 1] != 0x0a) return this.bad("chunk not followed by CRLF");
      body.append(buf.subarray(p, p + n));
      p += n + 2;
    }
    const frame = body.view();
    if (!this.checkFrame(frame)) return -1;
    out.append(frame);
    return p;
  }

  // The body must be one whole Kafka request frame.
  private checkFrame(body: Uint8Array): bool {
    if (body.length < 12) {
      this.error = "body is not a Kafka request frame (too short)";
      return false;
    }
    const size = (<i32>body[0] << 24) | (<i32>body[1] << 16) | (<i32>body[2] << 8) | <i32>body[3];
    if (size != body.length - 4) {
      this.error = "body is not exactly one Kafka request frame";
      return false;
    }
    return true;
  }

  private bad(reason: string): i32 {
    this.error = reason;
    return -1;
  }
}

// Index of "\r\n\r\n" within buf[0, limit), -1 if absent.
function findHeadEnd(buf: Uint8Array, limit: i32): i32 {
  for (let i = 0; i + 3 < limit; i++) {
    if (buf[i] == 0x0d && buf[i + 1] == 0x0a && buf[i + 2] == 0x0d && buf[i + 3] == 0x0a) return i;
  }
  return -1;
}

function indexOfCrlf(buf: Uint8Array, from: i32, to: i32): i32 {
  for (let i = from; i + 1 < buf.length && i <= to; i++) {
    if (buf[i] == 0x0d && buf[i + 1] == 0x0a) return i;
  }
  return -1;
}

function indexOfByte(buf: Uint8Array, b: u8, from: i32, to: i32): i32 {
  for (let i = from; i < to; i++) if (buf[i] == b) return i;
  return -1;
}

function latin1(buf: Uint8Array, from: i32, to: i32): string {
  if (to <= from) return "";
  const codes = new Array<i32>(to - from);
  for (let i = from; i < to; i++) codes[i - from] = buf[i];
  return String.fromCharCodes(codes);
}

// A non-negative decimal of at most 15 digits (no sign, no spaces), else -1.
export function parseDecimal(s: string): i64 {
  if (s.length == 0 || s.length > 15) return -1;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function parseHex(s: string): i64 {
  if (s.length == 0 || s.length > 12) return -1;
  let n: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d = -1;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}
